package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A setting the proxy cannot use stops the packaged jar with one line naming the variable and what it takes
 * (proxy/README.md): every MODPROXY_* setting that can be malformed, whether the configuration library converts it (a
 * duration, a number, a switch) or the proxy reads it (a glob, a size, a URL), and a storage root that is a file.
 * What an operator reads in the pod's log is that line alone, no stack trace, and the exit is a failure. A refused
 * start takes about a second: it ends before the HTTP server starts. BadSettingTest checks the same messages in full.
 */
class BadSettingIT {

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            MODPROXY_UPSTREAM                  | ftp://x   | MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off
            MODPROXY_NETRC                     | {file}/x  | MODPROXY_NETRC (a netrc file: machine HOST login USER password SECRET):
            MODPROXY_UPSTREAM_CA_FILE          | {file}    | MODPROXY_UPSTREAM_CA_FILE (a PEM file of the certificate authorities upstreams are signed by, besides the JVM's): {file} holds no certificate: it must hold the CA's certificate in PEM, -----BEGIN CERTIFICATE----- ...
            MODPROXY_STORAGE_DIR               | {file}    | MODPROXY_STORAGE_DIR must be a directory the proxy can create and write in (it stages downloads in its .tmp/), got {file} ({file} is a file, not a directory)
            MODPROXY_PRIVATE                   | [bad      | MODPROXY_PRIVATE (GOPRIVATE-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[bad" has a '[' that no ']' closes
            MODPROXY_NOSUMDB                   | [bad      | MODPROXY_NOSUMDB (GONOSUMDB-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[bad" has a '[' that no ']' closes
            MODPROXY_SUMDB                     | a+b+c     | MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org, sum.golang.google.cn, name+hash+key, sum.golang.org https://url, name+hash+key https://url, or off):
            MODPROXY_SUMDB_REQUIRED            | maybe     | MODPROXY_SUMDB_REQUIRED must be true or false, got 'maybe'
            MODPROXY_CONNECT_TIMEOUT           | 0s        | MODPROXY_CONNECT_TIMEOUT must be more than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0s'
            MODPROXY_READ_TIMEOUT              | x         | MODPROXY_READ_TIMEOUT must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'x'
            MODPROXY_MUTABLE_TTL               | banana    | MODPROXY_MUTABLE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'banana'
            MODPROXY_NEGATIVE_TTL              | -1s       | MODPROXY_NEGATIVE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '-1s'
            MODPROXY_TEXT_DOWNLOAD_DEADLINE    | 0         | MODPROXY_TEXT_DOWNLOAD_DEADLINE must be more than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0'
            MODPROXY_ZIP_DOWNLOAD_DEADLINE     | 1.5m      | MODPROXY_ZIP_DOWNLOAD_DEADLINE must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '1.5m'
            MODPROXY_MAX_DOWNLOADS             | 0         | MODPROXY_MAX_DOWNLOADS must be a whole number of 1 or more, got '0'
            MODPROXY_BREAKER_FAILURES          | -1        | MODPROXY_BREAKER_FAILURES must be a whole number of 1 or more, got '-1'
            MODPROXY_BREAKER_COOL_DOWN         | later     | MODPROXY_BREAKER_COOL_DOWN must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'later'
            MODPROXY_CLIENT_STALL_TIMEOUT      | 0ms       | MODPROXY_CLIENT_STALL_TIMEOUT must be more than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0ms'
            HTTPS_PROXY                        | socks5://u:pw@proxy:1080 | HTTPS_PROXY "socks5://u:xxxxx@proxy:1080" is a SOCKS proxy, which this proxy cannot use
            HTTP_PROXY                         | http://    | HTTP_PROXY "http://" is not a URL
            HTTPS_PROXY                        | https://u:s3cret@proxy:3129 | HTTPS_PROXY "https://u:xxxxx@proxy:3129" asks for TLS to the egress proxy itself (an https:// proxy URL), which this proxy cannot speak (the go command can): give the egress proxy's plain-HTTP port as an http:// URL, http://host:port (often 3128)
            HTTP_PROXY                         | http://ci:100%s3cret@proxy:3128 | HTTP_PROXY "http://ci:xxxxx@proxy:3128" is not a URL (Malformed escape pair) (characters such as @ : / % # ? in its login are percent-encoded
            MODPROXY_UPSTREAM                  | https://ci:100%s3cret@mirror.corp | `MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined by ',' or '|'): entry 1 "https://ci:xxxxx@mirror.corp" is not a valid URL (Malformed escape pair)`
            MODPROXY_STORAGE_TYPE              | nfs       | MODPROXY_STORAGE_TYPE must be disk or s3, got 'nfs'
            MODPROXY_EVICTION_HIGH_WATERMARK   | abc       | MODPROXY_EVICTION_HIGH_WATERMARK must be a fraction (0.9) or a percentage (90%), got 'abc'
            MODPROXY_EVICTION_LOW_WATERMARK    | 200%      | MODPROXY_EVICTION_LOW_WATERMARK
            MODPROXY_MAX_SIZE                  | big       | MODPROXY_MAX_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got 'big'
            MODPROXY_MEMORY_CACHE_SIZE         | 1.5G      | MODPROXY_MEMORY_CACHE_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got '1.5G'
            MODPROXY_PREFETCH                  | sometimes | MODPROXY_PREFETCH must be true or false, got 'sometimes'
            MODPROXY_PREFETCH_CONCURRENCY      | many      | MODPROXY_PREFETCH_CONCURRENCY must be a whole number of 1 or more, got 'many'
            MODPROXY_PREFETCH_MAX_BYTES        | 0         | MODPROXY_PREFETCH_MAX_BYTES must be more than 0 (a byte count such as 256Mi), got '0'
            MODPROXY_PREFETCH_MAX_ZIP_SIZE     | -1        | MODPROXY_PREFETCH_MAX_ZIP_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got '-1'
            MODPROXY_PREFETCH_QUEUE            | 0         | MODPROXY_PREFETCH_QUEUE must be a whole number of 1 or more, got '0'
            MODPROXY_PREFETCH_START_WINDOW     | 0s        | MODPROXY_PREFETCH_START_WINDOW must be more than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0s'
            MODPROXY_PREFETCH_USE_WINDOW       | 10x       | MODPROXY_PREFETCH_USE_WINDOW must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '10x'
            MODPROXY_PASS_THROUGH_MAX_SIZE     | lots      | MODPROXY_PASS_THROUGH_MAX_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got 'lots'
            MODPROXY_S3_PATH_STYLE             | sure      | MODPROXY_S3_PATH_STYLE must be true or false, got 'sure'
            """)
    void aBadSettingStopsTheJarWithOneLineNamingIt(String variable, String value, String start) throws Exception {
        Path file = Files.writeString(work.resolve("a-file"), "not a directory");
        Path log = work.resolve("proxy.log");
        Map<String, String> settings = new HashMap<>();
        settings.put("MODPROXY_SUMDB", "off");
        settings.put("MODPROXY_PASS_THROUGH_DIR", work.resolve("spill").toString());
        settings.put(variable, value.replace("{file}", file.toString()));

        int status = ProxyProcess.exitStatusOfRefusedStart(work.resolve("storage"), log, settings);

        List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertNotEquals(0, status, "exit status; output: " + output);
        assertEquals(1, output.size(), "one line, no stack trace: " + String.join("\n", output));
        String expected = "modproxy cannot start: " + start.replace("{file}", file.toString());
        assertTrue(output.get(0).startsWith(expected), "expected " + expected + "\n got " + output.get(0));
        // a password given in a setting's URL is never shown
        assertFalse(output.get(0).contains("s3cret"), output.get(0));
    }
}
