package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModulePathTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "golang.org/x/mod",
                "github.com/BurntSushi/toml",
                "example.com/a/v2",
                "gopkg.in/yaml.v3",
                "gopkg.in/check.v1",
                "example.com/under_score/tilde~/dash-",
                "rsc.io/quote",
                "golang.org"
            })
    void acceptsModulePathsTheGoCommandAccepts(String path) {
        assertEquals(path, ModulePath.of(path).path());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|empty module path",
                "example.com//a|empty path element",
                "/example.com|leading slash",
                "example.com/|trailing slash",
                "example.com/../etc|invalid path element",
                "example.com/./a|invalid path element",
                "example.com/.hidden|leading dot",
                "example.com/a.|trailing dot",
                "localhost/a|missing dot in first path element",
                "Example.com/a|invalid char 'E' in first path element",
                "-example.com/a|leading dash",
                "example.com/a b|invalid char",
                "example.com/a@v1|invalid char",
                "example.com/a!b|invalid char",
                "example.com/a/v1|invalid major version suffix",
                "example.com/a/v0|invalid major version suffix",
                "example.com/a/v2.1|invalid major version suffix",
                "gopkg.in/yaml|invalid major version suffix",
                "example.com/aux|reserved file name",
            })
    void rejectsInvalidPathsWithTheReason(String path, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModulePath.of(path));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void encodesUpperCaseWithBang() {
        ModulePath path = ModulePath.of("github.com/BurntSushi/toml");

        assertEquals("github.com/!burnt!sushi/toml", path.encoded());
        assertEquals(path, ModulePath.fromEncoded("github.com/!burnt!sushi/toml"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"github.com/BurntSushi/toml", "github.com/!B", "github.com/a!", "github.com/!1"})
    void rejectsMalformedEncoding(String encoded) {
        assertThrows(IllegalArgumentException.class, () -> ModulePath.fromEncoded(encoded));
    }

    @Test
    void rejectsOverlongPaths() {
        String longPath = "example.com/" + "a".repeat(150) + "/" + "b".repeat(150) + "/" + "c".repeat(150);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModulePath.of(longPath));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    }

    @Test
    void knowsTheMajorVersionSuffix() {
        assertEquals("", ModulePath.of("example.com/a").pathMajor());
        assertEquals("/v3", ModulePath.of("example.com/a/v3").pathMajor());
        assertEquals(".v2", ModulePath.of("gopkg.in/yaml.v2").pathMajor());
    }
}
