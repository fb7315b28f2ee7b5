package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modproxy.contract.GoProxyList.Direct;
import dev.modproxy.contract.GoProxyList.Off;
import dev.modproxy.contract.GoProxyList.Proxy;
import java.net.URI;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The go command's reading of GOPROXY (cmd/go/internal/modfetch/proxy.go, proxyList), case by case. */
class GoProxyListTest {

    @Test
    void theSeparatorAfterAnEntrySaysWhenTheNextIsTried() {
        GoProxyList list = GoProxyList.parse("https://a.example|https://b.example,https://c.example");

        assertThat(list.entries())
                .containsExactly(
                        new Proxy(URI.create("https://a.example"), true),
                        new Proxy(URI.create("https://b.example"), false),
                        new Proxy(URI.create("https://c.example"), false));
    }

    @ParameterizedTest
    @CsvSource({
        "goproxy.cn, https://goproxy.cn",
        "mirrors.aliyun.com/goproxy/, https://mirrors.aliyun.com/goproxy/",
        "athens:3000, https://athens:3000",
        "corp/goproxy, https://corp/goproxy",
        "http://athens.corp.svc:3000, http://athens.corp.svc:3000"
    })
    void entriesWithADotColonOrSlashButNoSchemeGetHttps(String entry, String url) {
        assertThat(GoProxyList.parse(entry).entries()).containsExactly(new Proxy(URI.create(url), false));
    }

    @Test
    void entriesAreTrimmedAndEmptyOnesSkipped() {
        GoProxyList list = GoProxyList.parse(" https://a.example ,, |https://b.example|");

        assertThat(list.entries())
                .containsExactly(
                        new Proxy(URI.create("https://a.example"), false),
                        new Proxy(URI.create("https://b.example"), true));
    }

    @Test
    void directAndOffEndTheListAndWhatFollowsIsIgnored() {
        assertThat(GoProxyList.parse("https://a.example|direct,this is not read")
                        .entries())
                .containsExactly(new Proxy(URI.create("https://a.example"), true), new Direct(false));
        assertThat(GoProxyList.parse("off|https://a.example").entries()).containsExactly(new Off(true));
        assertThat(GoProxyList.parse("direct").entries()).containsExactly(new Direct(false));
    }

    @Test
    void writesItselfBackInGoproxySyntaxWithTheImpliedScheme() {
        assertThat(GoProxyList.parse("goproxy.cn|https://mirrors.aliyun.com/goproxy/ , direct"))
                .hasToString("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct");
        assertThat(GoProxyList.parse("goproxy.cn|https://b.example").proxies())
                .extracting(Proxy::url)
                .containsExactly(URI.create("https://goproxy.cn"), URI.create("https://b.example"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void anEmptyListIsRefused(String list) {
        assertThatThrownBy(() -> GoProxyList.parse(list))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessage("is empty; write at least one upstream, e.g. \"https://proxy.golang.org\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {",", " , | ", "||"})
    void aListOfSeparatorsOnlyIsRefusedAsTheGoCommandDoes(String list) {
        assertThatThrownBy(() -> GoProxyList.parse(list))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessageStartingWith("contains no entries");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                // single words are the go command's keywords, not host names
                "https://a.example,noproxy; entry 2 \"noproxy\" is neither a URL nor \"direct\" or \"off\"",
                // an absolute path is not given https:// (the go command wants file:// written out)
                "/srv/goproxy; entry 1 \"/srv/goproxy\" is neither a URL nor \"direct\" or \"off\"",
                "file:///srv/goproxy; entry 1 \"file:///srv/goproxy\" is not an http(s) URL",
                "ftp://mirror.example.com; entry 1 \"ftp://mirror.example.com\" is not an http(s) URL",
                "https://; entry 1 \"https://\" is not a valid URL",
                "https://goproxy.cn?x=1; entry 1 \"https://goproxy.cn?xxxxx\" has a query or fragment",
                "https://goproxy.cn/#top; has a query or fragment",
                "https://goproxy.cn,https://bad host; entry 2 \"https://bad host\" is not a valid URL"
            })
    void anUnusableEntryIsNamedWithItsPositionAndAFix(String list, String expected) {
        assertThatThrownBy(() -> GoProxyList.parse(list))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessageContaining(expected)
                .hasMessageEndingWith("use an http(s) URL such as https://goproxy.cn, or \"direct\" / \"off\"");
    }

    /** Accepted before, then every fetch answered 502 "port out of range:99999". */
    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "http://[::1]:99999; entry 1 \"http://[::1]:99999\" has port 99999, above 65535",
                "https://a.example,athens:65536/go; entry 2 \"athens:65536/go\" has port 65536, above 65535",
                "https://a.example:99999999999|direct; entry 1 \"https://a.example:99999999999\" has port "
                        + "99999999999, above 65535"
            })
    void aPortAboveTheTcpRangeIsRefused(String list, String expected) {
        assertThatThrownBy(() -> GoProxyList.parse(list))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessageStartingWith(expected);
        assertThat(Pattern.compile(GoProxyList.PORT_ABOVE_RANGE).matcher(list).find())
                .isTrue();
    }

    /** java.net.URI reads no host in a name with an underscore; the port in range is not what is wrong with it. */
    @Test
    void aHostNameTheUriCannotReadIsNotBlamedOnItsPort() {
        assertThatThrownBy(() -> GoProxyList.parse("https://go_proxy.internal:8080"))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessageStartingWith("entry 1 \"https://go_proxy.internal:8080\" has no host name");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://[::1]:65535",
                "athens:3000",
                "https://a.example:000080/go",
                "https://a.example/v:99999",
                "https://a.example,https://b.example:443|direct"
            })
    void aPortInTheTcpRangeIsTaken(String list) {
        GoProxyList.parse(list);
        assertThat(Pattern.compile(GoProxyList.PORT_ABOVE_RANGE).matcher(list).find())
                .isFalse();
    }

    /** The message said "has no host name"; the punycode form is the one this proxy's HTTP client can use. */
    @Test
    void aHostNameOutsideAsciiIsAskedForInPunycode() {
        assertThatThrownBy(() -> GoProxyList.parse("https://ñ.example/go"))
                .isInstanceOf(GoProxyList.InvalidException.class)
                .hasMessageStartingWith("entry 1 \"https://ñ.example/go\" has a host name outside ASCII; write it in "
                        + "punycode, as DNS holds it (xn--ida.example)");
        assertThat(GoProxyList.parse("https://xn--ida.example/go").proxies())
                .extracting(p -> p.url().getHost())
                .containsExactly("xn--ida.example");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://proxy.golang.org",
                "goproxy.cn",
                "athens:3000",
                "corp/goproxy",
                " https://a.example ,, |https://b.example|",
                "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
                "http://athens.corp.svc:3000,off",
                "direct",
                "off",
                "https://ci:s3cret@athens.corp"
            })
    void theCrdPatternLetsThroughWhatTheRuleAccepts(String list) {
        GoProxyList.parse(list);
        assertThat(list).matches(GoProxyList.PATTERN);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                " ",
                ",",
                " , | ",
                "noproxy",
                "/srv/goproxy",
                "file:///srv/goproxy",
                "ftp://mirror.example.com",
                "https://",
                "https://goproxy.cn,https://bad host",
                "https://goproxy.cn,,noproxy"
            })
    void theCrdPatternStopsMostOfWhatTheRuleRefuses(String list) {
        assertThatThrownBy(() -> GoProxyList.parse(list)).isInstanceOf(GoProxyList.InvalidException.class);
        assertThat(list).doesNotMatch(GoProxyList.PATTERN);
    }

    @Test
    void aPasswordInAnEntryIsNotRepeatedInTheMessage() {
        assertThatThrownBy(() -> GoProxyList.parse("ftp://ci:s3cret@mirror.example.com"))
                .hasMessageContaining("\"ftp://ci:xxxxx@mirror.example.com\"")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void aTokenWrittenAsTheWholeLoginIsNotRepeatedInTheMessage() {
        // https://TOKEN@host: the token is the user name, with no password after it
        assertThatThrownBy(() -> GoProxyList.parse("ftp://ghp_t0ken@mirror.example.com/a@b"))
                .hasMessageContaining("\"ftp://xxxxx@mirror.example.com/a@b\"")
                .hasMessageNotContaining("t0ken");
    }

    @Test
    void aTokenInAQueryOrFragmentIsNotRepeatedInTheMessage() {
        assertThatThrownBy(() -> GoProxyList.parse("https://ci:s3cret@goproxy.corp/base?token=tok123,direct"))
                .hasMessageContaining("\"https://ci:xxxxx@goproxy.corp/base?xxxxx\" has a query or fragment")
                .hasMessageNotContaining("s3cret")
                .hasMessageNotContaining("tok123");
        assertThatThrownBy(() -> GoProxyList.parse("https://goproxy.corp/#access_token=tok123"))
                .hasMessageContaining("\"https://goproxy.corp/#xxxxx\"")
                .hasMessageNotContaining("tok123");
    }

    @Test
    void loginsInAUrlAreKept() {
        assertThat(GoProxyList.parse("https://ci:s3cret@athens.corp")
                        .proxies()
                        .get(0)
                        .url()
                        .getUserInfo())
                .isEqualTo("ci:s3cret");
    }
}
