package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UpstreamChainTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 3, Duration.ofSeconds(5));

    private static UpstreamChain parse(String spec) {
        return UpstreamChain.parse(spec, SETTINGS, UpstreamListener.NONE);
    }

    @Test
    void separatorAfterAnEntryDecidesItsFallthrough() {
        List<UpstreamChain.Entry> entries =
                parse("https://a.example|https://b.example,https://c.example").entries();

        assertEquals(3, entries.size());
        assertTrue(entries.get(0).fallThroughOnError());
        assertEquals(false, entries.get(1).fallThroughOnError());
        assertEquals(false, entries.get(2).fallThroughOnError());
    }

    @Test
    void entriesWithoutSchemeGetHttps() {
        UpstreamChain.Proxy proxy =
                (UpstreamChain.Proxy) parse("goproxy.cn").entries().get(0);

        assertEquals("https://goproxy.cn/", proxy.upstream().base().toString());
        assertEquals("goproxy.cn", proxy.upstream().host());
    }

    @Test
    void directAndOffEndTheList() {
        List<UpstreamChain.Entry> entries =
                parse("https://a.example, direct, https://ignored.example").entries();

        assertEquals(2, entries.size());
        assertTrue(entries.get(1) instanceof UpstreamChain.Direct);
        assertTrue(parse("off").entries().get(0) instanceof UpstreamChain.Off);
    }

    @Test
    void blankEntriesAreSkipped() {
        assertEquals(
                2, parse(" https://a.example ,, |https://b.example").entries().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " , ", "noproxy", "file:///srv/goproxy", "ftp://a.example", "https://a.example/?q=1"})
    void unusableListsFailAtStartup(String spec) {
        assertThrows(IllegalArgumentException.class, () -> parse(spec));
    }

    @Test
    void describesItselfInGoproxySyntax() {
        assertEquals(
                "https://a.example/|https://b.example:8443/mirror/,direct",
                parse("https://a.example|https://b.example:8443/mirror,direct").toString());
    }
}
