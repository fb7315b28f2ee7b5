package dev.modproxy.operator.settings;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoProxyListTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://proxy.golang.org",
                "https://goproxy.cn,direct",
                "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
                "http://athens.corp.svc:3000,off",
                "direct",
                "off",
                // the go command's reading, which the proxy shares (contract GoProxyList): https:// implied, entries
                // trimmed,
                // empty ones skipped
                "goproxy.cn",
                "https://goproxy.cn,,direct",
                "https://goproxy.cn|",
                "https://goproxy.cn, direct"
            })
    void goCommandSyntaxIsAccepted(String list) {
        assertThat(GoProxyList.problem("spec.upstream", list)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "https://goproxy.cn,,noproxy; entry 3 \"noproxy\" is neither a URL nor \"direct\" or \"off\"",
                ",|; contains no entries",
                "ftp://mirror.example.com; entry 1 \"ftp://mirror.example.com\" is not an http(s) URL",
                "https://; entry 1 \"https://\" is not a valid URL",
                "https://goproxy.cn?x=1; has a query or fragment",
                "https://goproxy.cn, https://bad mirror; entry 2 \"https://bad mirror\" is not a valid URL"
            })
    void mistakesAreNamedWithTheEntryAndAFix(String list, String expected) {
        assertThat(GoProxyList.problem("spec.upstream", list)).hasValueSatisfying(message -> {
            assertThat(message).startsWith("spec.upstream").contains(expected);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void emptyListIsAMistake(String list) {
        assertThat(GoProxyList.problem("spec.upstream", list))
                .hasValueSatisfying(m -> assertThat(m).contains("empty"));
    }
}
