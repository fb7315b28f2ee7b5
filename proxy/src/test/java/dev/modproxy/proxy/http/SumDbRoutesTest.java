package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SumDbRoutesTest {

    /** What a go command asks below /sumdb/ passes; an element the router would resolve away does not. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "sum.golang.org/supported                                   | false",
                "sum.golang.org/lookup/gopkg.in/yaml.v3@v3.0.1              | false",
                "sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.3.2  | false",
                "sum.golang.org/tile/8/0/x001/234.p/5                       | false",
                "sum.golang.org/lookup/example.com/.hidden@v1.0.0           | false",
                "sum.golang.org/lookup/example.com/...@v1.0.0               | false",
                "x                                                          | false",
                "./sum.golang.org/supported                                 | true",
                "x/../sum.golang.org/supported                              | true",
                "sum.golang.org//supported                                  | true",
                "sum.golang.org/supported/                                  | true",
                "sum.golang.org/.                                           | true",
                "sum.golang.org/..                                          | true",
                "/sum.golang.org                                            | true",
                ".                                                          | true",
                "..                                                         | true",
            })
    void anElementTheRouterWouldResolveAwayIsFound(String path, boolean found) {
        assertEquals(found, SumDbRoutes.hasDotOrEmptyElement(path), path);
    }
}
