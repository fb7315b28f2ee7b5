package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyRequestTest {

    @ParameterizedTest
    @CsvSource({
        "/example.com/a/@v/list, LIST",
        "/example.com/a/@latest, LATEST",
        "/example.com/a/@v/v1.0.0.info, INFO",
        "/example.com/a/@v/v1.0.0.mod, MOD",
        "/example.com/a/@v/v1.0.0.zip, ZIP",
    })
    void parsesEveryEndpoint(String path, RequestKind kind) throws Exception {
        ProxyRequest request = ProxyRequest.parse(path);

        assertEquals(kind, request.kind());
        assertEquals("example.com/a", request.module().path());
        assertEquals(path.substring(1), request.relativePath());
    }

    @Test
    void decodesTheBangPercentEscapeTheGoCommandSends() throws Exception {
        ProxyRequest request = ProxyRequest.parse("/github.com/%21burnt%21sushi/toml/@v/v1.3.2.mod");

        assertEquals("github.com/BurntSushi/toml", request.module().path());
        assertEquals("github.com/!burnt!sushi/toml/@v/v1.3.2.mod", request.relativePath());
    }

    @Test
    void revisionQueriesAreAllowedOnlyForInfo() throws Exception {
        ProxyRequest info = ProxyRequest.parse("/example.com/a/@v/main.info");

        assertFalse(info.immutable());
        assertNull(info.version());
        assertEquals("main", info.query());
        InvalidRequestException e =
                assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse("/example.com/a/@v/main.zip"));
        assertEquals(400, e.status());
        assertEquals(
                "version \"main\" must start with 'v': zip files exist only for canonical versions like v1.2.3",
                e.getMessage());
    }

    @Test
    void aModulePathTooLongToCacheIsNotFoundSoTheNextEntryIsTriedAndSaysWhy() {
        String longPath = "example.com/" + "x".repeat(150) + "/" + "x".repeat(150) + "/" + "x".repeat(100);
        for (String ending : List.of("/@v/list", "/@latest", "/@v/v1.0.0.info", "/@v/v1.0.0.mod", "/@v/v1.0.0.zip")) {
            InvalidRequestException e =
                    assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse("/" + longPath + ending));

            // the go command takes a path of any length: a 400 would end a GOPROXY=modproxy,direct chain here
            assertEquals(404, e.status(), ending);
            assertEquals(
                    "module path longer than 400 characters, the most modproxy caches (its cache names files by module"
                            + " path): the next GOPROXY entry (direct) may serve it",
                    e.getMessage());
        }
        // 150 upper-case letters are 300 characters case-encoded: one directory name too long
        InvalidRequestException element = assertThrows(
                InvalidRequestException.class,
                () -> ProxyRequest.parse("/example.com/" + "!a".repeat(150) + "/@v/list"));
        assertEquals(404, element.status(), element.getMessage());
        assertTrue(
                element.getMessage().contains("path element longer than 200 characters case-encoded"),
                element.getMessage());
    }

    @Test
    void aCanonicalVersionTooLongToCacheIsTheSameNotFoundForInfoModAndZipAndSaysWhy() {
        String version = "v1.0.0-" + "a".repeat(240);
        for (String ending : List.of(".info", ".mod", ".zip")) {
            InvalidRequestException e = assertThrows(
                    InvalidRequestException.class, () -> ProxyRequest.parse("/example.com/a/@v/" + version + ending));

            // not found here, so a go command goes on to its next GOPROXY entry; never "not canonical"
            assertEquals(404, e.status(), ending);
            assertTrue(
                    e.getMessage()
                            .contains(" is longer than 128 characters, the most modproxy caches (its cache names files"
                                    + " by version): the next GOPROXY entry (direct) may resolve it"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("canonical"), e.getMessage());
        }
        InvalidRequestException partial =
                assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse("/example.com/a/@v/v1.2.mod"));
        assertTrue(
                partial.getMessage()
                        .endsWith("\"v1.2\" is not canonical: needs major.minor.patch: mod files exist only"
                                + " for canonical versions like v1.2.3"),
                partial.getMessage());
    }

    @Test
    void aPathWithRawUtf8BytesIsDecodedAsUtf8AndQuotedAsTheClientWroteIt() {
        // the HTTP codec hands over each byte of the request line as one char: "ö" arrives as its two UTF-8 bytes
        String raw = new String(
                "/github.com/göögle/uuid/@v/list".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse(raw));

        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("\"github.com/göögle/uuid\""), e.getMessage());
        InvalidRequestException escaped = assertThrows(
                InvalidRequestException.class, () -> ProxyRequest.parse("/github.com/g%C3%B6%C3%B6gle/uuid/@v/list"));
        assertEquals(e.getMessage(), escaped.getMessage(), "the same path, escaped or not");
    }

    @Test
    void majorVersionQueryWithoutSuffixIsPassedUpstreamForIncompatibleResolution() throws Exception {
        ProxyRequest info = ProxyRequest.parse("/example.com/a/@v/v2.0.0.info");

        assertFalse(info.immutable());
        assertEquals("v2.0.0", info.query());
    }

    @Test
    void upperCaseRevisionRoundTripsThroughEncoding() throws Exception {
        ProxyRequest info = ProxyRequest.parse("/example.com/a/@v/!feature!x.info");

        assertEquals("FeatureX", info.query());
        assertEquals("example.com/a/@v/!feature!x.info", info.relativePath());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/example.com/a|404",
                "/|404",
                "/favicon.ico|404",
                "/example.com/a/@v/v1.0.0.tar|404",
                "/example.com/a/@v/|404",
                "/example.com/../a/@v/list|400",
                "/example.com/%2e%2e/a/@v/list|400",
                "/example.com%2Fa/@v/list|400",
                "/example.com/a%00/@v/list|400",
                "/example.com/a%5c/@v/list|400",
                "/example.com/a/@v/..%2F..%2Fetc.info|400",
                "/example.com/a/@v/%2e%2e.info|400",
                "/example.com/a/@v/.hidden.info|400",
                "/example.com/A/@v/list|400",
                "/example.com/a/@v/v2.0.0.mod|400",
                "/example.com/a/@v/v1.0.mod|400",
                "/example.com/a/@v/v1.0.0%zz.mod|400",
                "/example.com/a/@v/v1.0.0%.mod|400",
                "/example.com/%C3%A9/@v/list|400",
                "//example.com/a/@v/list|400",
                "/example.com/a/@v/v1.0.0+meta.info|400",
                "/example.com/a/@v/v1.2.3-pre.1+build.5.info|400",
                "/example.com/a/@v/v1.0.0%2Bmeta.info|400",
                "/example.com/a/@v/v2.0.0+incompatible.meta.info|400",
                "/example.com/a~1/@v/list|400",
                "/example.com/prog~12.v2/@v/list|400",
            })
    void rejectsHostilePathsWithAClientError(String path, int status) {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse(path));
        assertEquals(status, e.status(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/example.com/a/@v/fix%231.info",
                "/example.com/a/@v/feat(x).info",
                "/example.com/a/@v/a,b.info",
                "/example.com/a/@v/x=1.info",
                "/example.com/a/@v/foo@bar.info",
                "/example.com/a/@v/%7Bx%7D.info",
                "/example.com/a/@v/a%20b.info",
            })
    void aBranchTheGoCommandMaySendButThisProxyDoesNotPassOnIsNotFoundSoTheNextEntryIsTried(String path) {
        // the go command moves on to its next GOPROXY entry (direct) on 404 or 410 only; a 400 would end the chain
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> ProxyRequest.parse(path));
        assertEquals(404, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains("the next GOPROXY entry"), e.getMessage());
        InvalidRequestException longer = assertThrows(
                InvalidRequestException.class,
                () -> ProxyRequest.parse("/example.com/a/@v/" + "b".repeat(130) + ".info"));
        assertEquals(404, longer.status(), longer.getMessage());
        // what no go command sends stays a client error
        for (String hostile : new String[] {"a%01b", "a%3Ab", "a*b", "a%22b", "a%3Cb"}) {
            InvalidRequestException refused = assertThrows(
                    InvalidRequestException.class, () -> ProxyRequest.parse("/example.com/a/@v/" + hostile + ".info"));
            assertEquals(400, refused.status(), hostile + ": " + refused.getMessage());
        }
    }

    @Test
    void rejectsOverlongRequestPaths() {
        InvalidRequestException e = assertThrows(
                InvalidRequestException.class,
                () -> ProxyRequest.parse("/example.com/" + "a/".repeat(600) + "@v/list"));
        assertEquals(414, e.status());
    }
}
