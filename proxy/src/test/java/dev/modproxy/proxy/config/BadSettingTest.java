package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.SettingValueRule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    /**
     * Every MODPROXY_* setting that can be malformed, with a malformed value and what its one line must say. Before,
     * a duration, number or switch got the configuration library's SRCFG00039 naming modproxy.mutable-ttl, or was
     * read as false ("maybe"); a bad glob, a zero count or a negative duration a stack trace or nothing; a breaker
     * count was blamed on MODPROXY_UPSTREAM.
     */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            modproxy.upstream                        | ftp://x | MODPROXY_UPSTREAM (GOPROXY syntax
            modproxy.upstream                        | https://ci:100%s3cret@mirror.corp | `MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined by ',' or '|'): entry 1 "https://ci:xxxxx@mirror.corp" is not a valid URL (Malformed escape pair)`
            modproxy.netrc                           | /nonexistent/netrc | MODPROXY_NETRC (a netrc file
            modproxy.upstream-ca-file                | /nonexistent/ca.crt | MODPROXY_UPSTREAM_CA_FILE (a PEM file of the certificate authorities upstreams are signed by, besides the JVM's) cannot be read: /nonexistent/ca.crt: no such file
            modproxy.private                         | [bad    | MODPROXY_PRIVATE (GOPRIVATE-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[bad" has a '[' that no ']' closes
            modproxy.private                         | [z-a]   | MODPROXY_PRIVATE (GOPRIVATE-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[z-a]" has the range z-a, which runs backwards and matches nothing
            modproxy.nosumdb                         | [bad    | MODPROXY_NOSUMDB (GONOSUMDB-style comma-separated globs
            modproxy.sumdb                           | a+b+c   | MODPROXY_SUMDB (GOSUMDB syntax
            modproxy.sumdb-required                  | maybe   | MODPROXY_SUMDB_REQUIRED must be true or false, got 'maybe'
            modproxy.connect-timeout                 | soon    | MODPROXY_CONNECT_TIMEOUT must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'soon'
            modproxy.read-timeout                    | -1s     | MODPROXY_READ_TIMEOUT must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '-1s'
            modproxy.read-timeout                    | 999999999999d | MODPROXY_READ_TIMEOUT must be at most 106751d (292 years
            modproxy.mutable-ttl                     | banana  | MODPROXY_MUTABLE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'banana'
            modproxy.negative-ttl                    | -1s     | MODPROXY_NEGATIVE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '-1s'
            modproxy.text-download-deadline          | 0s      | MODPROXY_TEXT_DOWNLOAD_DEADLINE must be more than 0
            modproxy.zip-download-deadline           | 1.5m    | MODPROXY_ZIP_DOWNLOAD_DEADLINE must be a duration
            modproxy.max-downloads                   | 0       | MODPROXY_MAX_DOWNLOADS must be a whole number of 1 or more, got '0'
            modproxy.breaker-failures                | -1      | MODPROXY_BREAKER_FAILURES must be a whole number of 1 or more, got '-1'
            modproxy.breaker-cool-down               | later   | MODPROXY_BREAKER_COOL_DOWN must be a duration
            modproxy.client-stall-timeout            | 0       | MODPROXY_CLIENT_STALL_TIMEOUT must be more than 0
            modproxy.storage-type                    | nfs     | MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'
            modproxy.eviction.high-watermark         | abc     | MODPROXY_EVICTION_HIGH_WATERMARK must be a fraction
            modproxy.eviction.low-watermark          | abc     | MODPROXY_EVICTION_LOW_WATERMARK must be a fraction
            modproxy.max-size                        | big     | MODPROXY_MAX_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got 'big'
            modproxy.memory-cache-size               | 1.5G    | MODPROXY_MEMORY_CACHE_SIZE must be a byte count
            modproxy.prefetch                        | sometimes | MODPROXY_PREFETCH must be true or false, got 'sometimes'
            modproxy.prefetch-concurrency            | many    | MODPROXY_PREFETCH_CONCURRENCY must be a whole number of 1 or more, got 'many'
            modproxy.prefetch-max-bytes              | 0       | MODPROXY_PREFETCH_MAX_BYTES must be more than 0
            modproxy.prefetch-max-zip-size           | -1      | MODPROXY_PREFETCH_MAX_ZIP_SIZE must be a byte count
            modproxy.prefetch-queue                  | 0       | MODPROXY_PREFETCH_QUEUE must be a whole number of 1 or more, got '0'
            modproxy.prefetch-start-window           | 0s      | MODPROXY_PREFETCH_START_WINDOW must be more than 0
            modproxy.prefetch-use-window             | 10x     | MODPROXY_PREFETCH_USE_WINDOW must be a duration
            modproxy.pass-through-max-size           | lots    | MODPROXY_PASS_THROUGH_MAX_SIZE must be a byte count
            modproxy.s3.path-style                   | sure    | MODPROXY_S3_PATH_STYLE must be true or false, got 'sure'
            """)
    void everySettingIsRefusedInOneLineNamingItsVariable(String key, String value, String start) {
        ConfigurationException refused = refused(Map.of(key, value));

        assertTrue(
                refused.getMessage().startsWith("modproxy cannot start: " + start),
                key + "=" + value + " gave: " + refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
        assertFalse(refused.getMessage().contains("s3cret"), "a password is never shown: " + refused.getMessage());
        assertNull(refused.getCause());
    }

    /** A CA file that is empty, a directory, or holds no certificate (a key, say) stops start-up, naming it. */
    @Test
    void anUpstreamCaFileWithoutACertificate() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.crt"), "");
        Path key = Files.writeString(
                dir.resolve("tls.key"),
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
        String setting = "modproxy cannot start: MODPROXY_UPSTREAM_CA_FILE (a PEM file of the certificate authorities"
                + " upstreams are signed by, besides the JVM's)";

        assertEquals(
                setting + ": " + empty
                        + " is empty: it must hold the CA's certificate in PEM, -----BEGIN CERTIFICATE-----" + " ...",
                refused(Map.of("modproxy.upstream-ca-file", empty.toString())).getMessage());
        assertEquals(
                setting + ": " + key + " holds no certificate: it must hold the CA's certificate in PEM, -----BEGIN"
                        + " CERTIFICATE----- ...",
                refused(Map.of("modproxy.upstream-ca-file", key.toString())).getMessage());
        assertEquals(
                setting + " cannot be read: " + dir + " is a directory, not a file",
                refused(Map.of("modproxy.upstream-ca-file", dir.toString())).getMessage());
    }

    @Test
    void anS3EndpointWithoutAScheme() {
        ConfigurationException refused = refused(
                Map.of("modproxy.storage-type", "s3", "modproxy.s3.bucket", "b", "modproxy.s3.endpoint", "minio:9000"));

        assertTrue(
                refused.getMessage().startsWith("modproxy cannot start: MODPROXY_S3_ENDPOINT \"minio:9000\" is not"),
                refused.getMessage());
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
                "modproxy cannot start: MODPROXY_CONNECT_TIMEOUT must be more than 0 (a duration such as 500ms, 30s, "
                        + "5m, 1h or PT30S), got '0ms'",
                refused.getMessage());
        assertNull(refused.getCause());
    }

    /** Before, a start, then every fetch refused by the JDK's HTTP client. */
    @Test
    void aReadTimeoutOfZeroIsNamedAsSuch() {
        ConfigurationException refused = refused(Map.of("modproxy.read-timeout", "0s"));

        assertEquals(
                "modproxy cannot start: MODPROXY_READ_TIMEOUT must be more than 0 (a duration such as 500ms, 30s, "
                        + "5m, 1h or PT30S), got '0s'",
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

    /** An empty value is an unset one; a bucket has no default to fall back on, so that is said in one line. */
    @Test
    void anEmptyBucketForS3StorageIsNamedAsMissing() {
        ConfigurationException refused = refused(Map.of("modproxy.storage-type", "s3", "modproxy.s3.bucket", ""));

        assertEquals(
                "modproxy cannot start: MODPROXY_S3_BUCKET is required when MODPROXY_STORAGE_TYPE=s3",
                refused.getMessage());
    }

    /** Read as the operator reads it, by its rule alone: no prefetch could start under it, on or off. */
    @Test
    void aPrefetchMaxBytesOfZeroIsRefusedWithPrefetchOffToo() {
        ConfigurationException refused =
                refused(Map.of("modproxy.prefetch", "false", "modproxy.prefetch-max-bytes", "0"));

        assertEquals(
                "modproxy cannot start: MODPROXY_PREFETCH_MAX_BYTES must be more than 0 (a byte count such as 256Mi), "
                        + "got '0'",
                refused.getMessage());
    }

    @Test
    void anUnknownStorageType() {
        ConfigurationException refused = refused(Map.of("modproxy.storage-type", "nfs"));

        assertEquals(
                "modproxy cannot start: MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'", refused.getMessage());
    }

    /**
     * The line is the contract's SettingValueRule's, the one the operator reports for MODPROXY_SUMDB too; before, the
     * proxy said "malformed verifier key ...: not an Ed25519 key" and the operator its own words.
     */
    @Test
    void malformedSumDbSettingStopsStartupWithOneLineNamingTheVariableAndWhatItTakes() {
        ConfigurationException refused = refused(Map.of("modproxy.sumdb", "sum.example.com+00000000+AAAA"));

        assertEquals(
                "modproxy cannot start: "
                        + SettingValueRule.GOSUMDB
                                .problem("MODPROXY_SUMDB", "sum.example.com+00000000+AAAA")
                                .orElseThrow(),
                refused.getMessage());
        assertEquals(
                "modproxy cannot start: MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org, sum.golang.google.cn, "
                        + "name+hash+key, sum.golang.org https://url, name+hash+key https://url, or off): \"sum.example.com+00000000+AAAA\" has the verifier "
                        + "key for sum.example.com, which is not an Ed25519 key (33 bytes, the first 1); copy "
                        + "name+hash+key whole as the database's operator publishes it",
                refused.getMessage());
        // Quarkus prints a configuration problem without a cause as its message alone
        assertNull(refused.getCause());
    }

    /** A glob the go command calls malformed was taken before, matching paths the go command matches with none. */
    @Test
    void aGlobTheGoCommandCallsMalformedStopsStartup() {
        ConfigurationException refused = refused(Map.of("modproxy.private", "corp.example.com,[]a]"));

        assertEquals(
                "modproxy cannot start: "
                        + SettingValueRule.MODULE_PATH_GLOBS
                                .problem("MODPROXY_PRIVATE", "corp.example.com,[]a]")
                                .orElseThrow(),
                refused.getMessage());
        assertTrue(
                refused.getMessage()
                        .endsWith("pattern \"[]a]\" has a ']' in a [...] class where a character "
                                + "belongs (first, or in a range); write it as \\]"),
                refused.getMessage());
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

    /**
     * A pass-through directory the proxy cannot make (a file at its path, or under it) was a stack trace at start
     * of a FileAlreadyExistsException or FileSystemException inside a CreationException, never naming the variable.
     */
    @Test
    void aFileWhereThePassThroughDirShouldBeIsNamedAsSuch() throws Exception {
        Path file = Files.writeString(dir.resolve("spill"), "not a directory");

        ConfigurationException refused = refused(Map.of());

        assertEquals(
                "modproxy cannot start: MODPROXY_PASS_THROUGH_DIR must be a directory the proxy can create and write"
                        + " in (it holds the modules served without being cached while the cache cannot take them),"
                        + " got " + file + " (" + file + " is a file, not a directory)",
                refused.getMessage());
        assertNull(refused.getCause());
    }

    @Test
    void aPassThroughDirUnderAFileIsNamedAsSuch() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "not a directory");

        ConfigurationException refused = refused(
                Map.of("modproxy.pass-through-dir", file.resolve("spill").toString()));

        assertTrue(
                refused.getMessage()
                        .startsWith("modproxy cannot start: MODPROXY_PASS_THROUGH_DIR must be a directory the proxy"
                                + " can create and write in (it holds the modules served without being cached while"
                                + " the cache cannot take them), got " + file.resolve("spill") + " ("),
                refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
        assertNull(refused.getCause());
    }

    /** The line said "got /proc/modproxy-spill (/proc/modproxy-spill)": why it could not be made was not in it. */
    @Test
    void aPassThroughDirThatCannotBeMadeSaysWhy() {
        ConfigurationException refused = refused(Map.of("modproxy.pass-through-dir", "/proc/modproxy-spill"));

        assertEquals(
                "modproxy cannot start: MODPROXY_PASS_THROUGH_DIR must be a directory the proxy can create and write"
                        + " in (it holds the modules served without being cached while the cache cannot take them),"
                        + " got /proc/modproxy-spill (/proc/modproxy-spill: no such file or directory, and it cannot be"
                        + " made there)",
                refused.getMessage());
    }

    /** With s3 the cache root only stages uploads, and a file there was a stack trace at start too. */
    @Test
    void aFileWhereTheStorageDirShouldBeIsNamedAsSuchWithS3() throws Exception {
        Path file = Files.writeString(dir.resolve("cache"), "not a directory");

        ConfigurationException refused = refused(Map.of(
                "modproxy.storage-type", "s3",
                "modproxy.s3.bucket", "modules",
                "modproxy.s3.endpoint", "http://127.0.0.1:9"));

        assertTrue(
                refused.getMessage()
                        .startsWith("modproxy cannot start: MODPROXY_STORAGE_DIR must be a directory the proxy can"
                                + " create and write in (with s3 it stages uploads in its s3-staging/), got " + file
                                + " ("),
                refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
        assertNull(refused.getCause());
    }
}
