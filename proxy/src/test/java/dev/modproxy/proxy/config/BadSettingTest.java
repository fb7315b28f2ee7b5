package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A setting the proxy cannot use ends start-up with one line naming it and what it takes: Quarkus prints a
 * ConfigurationException without a cause as its message alone, anything else as a stack trace.
 */
class BadSettingTest {

    @TempDir
    Path dir;

    private final ProxyBeans beans = new ProxyBeans();

    private ConfigurationException refused(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of(
                "modproxy.storage-dir",
                dir.resolve("cache").toString(),
                "modproxy.pass-through-dir",
                dir.resolve("spill").toString(),
                "modproxy.sumdb",
                "off"));
        all.putAll(settings);
        return assertThrows(
                ConfigurationException.class,
                () -> beans.assembly(Configs.of(all), new SimpleMeterRegistry()).close());
    }

    @Test
    void aWatermarkThatIsNotANumber() {
        ConfigurationException refused = refused(Map.of("modproxy.eviction.high-watermark", "abc"));

        assertEquals(
                "modproxy cannot start: MODPROXY_EVICTION_HIGH_WATERMARK must be a fraction (0.9) or a "
                        + "percentage (90%), got 'abc'",
                refused.getMessage());
        assertNull(refused.getCause());
    }

    @Test
    void anUpstreamThatIsNotAUrl() {
        ConfigurationException refused = refused(Map.of("modproxy.upstream", "ftp://goproxy.cn"));

        assertEquals(
                "modproxy cannot start: MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined "
                        + "by ',' or '|'): entry 1 \"ftp://goproxy.cn\" is not an http(s) URL (modproxy fetches over HTTP only); use "
                        + "an http(s) URL such as https://goproxy.cn, or \"direct\" / \"off\"",
                refused.getMessage());
        assertNull(refused.getCause());
    }

    /** The JDK's HTTP client refused it with "Invalid duration: PT0S", which was reported as MODPROXY_UPSTREAM's. */
    @Test
    void aConnectTimeoutOfZeroIsNamedAsSuch() {
        ConfigurationException refused = refused(Map.of("modproxy.connect-timeout", "0ms"));

        assertEquals(
                "modproxy cannot start: MODPROXY_CONNECT_TIMEOUT must be more than 0 (a duration such as 5s or PT5S), "
                        + "got PT0S",
                refused.getMessage());
        assertNull(refused.getCause());
    }

    /** Before, a start, then every fetch refused by the JDK's HTTP client. */
    @Test
    void aReadTimeoutOfZeroIsNamedAsSuch() {
        ConfigurationException refused = refused(Map.of("modproxy.read-timeout", "0s"));

        assertEquals(
                "modproxy cannot start: MODPROXY_READ_TIMEOUT must be more than 0 (a duration such as 5s or PT5S), "
                        + "got PT0S",
                refused.getMessage());
    }

    @Test
    void aMemoryCacheSizeTooLargeToCountIsNamedAsSuch() {
        ConfigurationException refused = refused(Map.of("modproxy.memory-cache-size", "99999999999T"));

        assertEquals(
                "modproxy cannot start: MODPROXY_MEMORY_CACHE_SIZE is more bytes than the proxy can count (at most "
                        + "8 EiB), got '99999999999T'",
                refused.getMessage());
    }

    @Test
    void anUnknownStorageType() {
        ConfigurationException refused = refused(Map.of("modproxy.storage-type", "nfs"));

        assertEquals(
                "modproxy cannot start: MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'", refused.getMessage());
    }

    @Test
    void malformedSumDbSettingStopsStartupWithOneLineNamingTheVariableAndWhatItTakes() {
        ConfigurationException refused = refused(Map.of("modproxy.sumdb", "sum.example.com+00000000+AAAA"));

        assertTrue(
                refused.getMessage().contains("MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org"), refused.getMessage());
        assertTrue(refused.getMessage().contains("invalid GOSUMDB"), refused.getMessage());
        // Quarkus prints a configuration problem without a cause as its message alone
        assertNull(refused.getCause());
        assertFalse(refused.getMessage().contains("\n"));
    }

    /** It was a 47-line stack trace of a FileAlreadyExistsException that never named the variable. */
    @Test
    void aFileWhereTheStorageDirShouldBeIsNamedAsSuch() throws Exception {
        Path file = Files.writeString(dir.resolve("cache"), "not a directory");

        ConfigurationException refused = refused(Map.of());

        assertEquals(
                "modproxy cannot start: MODPROXY_STORAGE_DIR must be a directory the proxy can create and write in"
                        + " (it stages downloads in its .tmp/), got " + file + " (" + file
                        + " is a file, not a directory)",
                refused.getMessage());
        assertNull(refused.getCause());
    }
}
