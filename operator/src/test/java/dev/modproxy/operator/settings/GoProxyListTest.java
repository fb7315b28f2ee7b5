package dev.modproxy.operator.settings;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoProxyListTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "https://proxy.golang.org",
        "https://goproxy.cn,direct",
        "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
        "http://athens.corp.svc:3000,off",
        "direct",
        "off" })
    void goCommandSyntaxIsAccepted(String list) {
        assertThat(GoProxyList.problem("spec.upstream", list)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "https://goproxy.cn,,direct; entry 2 is empty",
        "https://goproxy.cn|; entry 2 is empty",
        "ftp://mirror.example.com; entry 1 \"ftp://mirror.example.com\" is not an http(s) URL",
        "goproxy.cn; entry 1 \"goproxy.cn\" is not an http(s) URL",
        "https://; entry 1 \"https://\" is not a valid URL",
        "https://goproxy.cn?x=1; has a query or fragment",
        "https://goproxy.cn, direct; contains spaces" })
    void mistakesAreNamedWithTheEntryAndAFix(String list, String expected) {
        assertThat(GoProxyList.problem("spec.upstream", list)).hasValueSatisfying(message -> {
            assertThat(message).startsWith("spec.upstream").contains(expected);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " " })
    void emptyListIsAMistake(String list) {
        assertThat(GoProxyList.problem("spec.upstream", list)).hasValueSatisfying(m -> assertThat(m).contains("empty"));
    }
}
