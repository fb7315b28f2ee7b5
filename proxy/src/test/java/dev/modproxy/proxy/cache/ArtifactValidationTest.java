package dev.modproxy.proxy.cache;

import static dev.modproxy.proxy.testing.FakeUpstream.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.Staging;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactValidationTest {

    private static final String ZIP = "example.com/lib/@v/v1.0.0.zip";
    private static final String MOD = "example.com/lib/@v/v1.0.0.mod";

    @TempDir
    Path cacheDir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        proxy = new ProxyUnderTest(upstream.url(), cacheDir);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    private boolean stored(String path) throws IOException {
        return proxy.storage.lookup(new StorageKey(path)).isPresent();
    }

    /** A module zip of 1.3 MB of hardly compressible files (deflated), so that it is checked as it arrives. */
    private static byte[] largeZip(int damaged) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Random random = new Random(11);
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[64 * 1024];
            random.nextBytes(data);
            files.put("f" + i + ".bin", data);
        }
        byte[] zip = Modules.zipOfBytes("example.com/lib@v1.0.0/", files);
        if (damaged >= 0) {
            // a byte of the damaged file's data changed after the zip was written: its CRC-32 no longer matches
            byte[] name = ("example.com/lib@v1.0.0/f" + damaged + ".bin").getBytes(StandardCharsets.UTF_8);
            for (int at = 0; ; at++) {
                if (Arrays.equals(zip, at, at + name.length, name, 0, name.length)) {
                    zip[at + name.length + 5_000] ^= 0x01;
                    break;
                }
            }
        }
        return zip;
    }

    @Test
    void aLargeZipArrivingSlowlyIsCheckedAsItArrivesAndStoredWholeOrNotAtAll() throws Exception {
        byte[] whole = largeZip(-1);
        assertTrue(whole.length > 1 << 20, "large enough to be inflated as it arrives");
        upstream.on(ZIP, FakeUpstream.slowly("application/zip", whole, Duration.ofMillis(800)));

        HttpResponse<byte[]> answer = proxy.get("/" + ZIP);

        assertEquals(200, answer.statusCode());
        assertArrayEquals(whole, answer.body());
        assertTrue(stored(ZIP));
    }

    @Test
    void aLargeZipArrivingSlowlyWithADamagedEntryIsNotStored() throws Exception {
        byte[] damaged = largeZip(13);
        upstream.on(ZIP, FakeUpstream.slowly("application/zip", damaged, Duration.ofMillis(800)));

        // its first 1.2 MB went out as they arrived; the last 64 KiB are withheld and the response broken off
        assertThrows(IOException.class, () -> proxy.get("/" + ZIP));
        assertFalse(stored(ZIP));
    }

    @Test
    void htmlPageWithStatus200IsNeitherServedNorStored() throws Exception {
        upstream.on(MOD, ok("text/html; charset=utf-8", "<!doctype html><html>captive portal</html>"));
        upstream.on(ZIP, ok("text/html", "<html>please log in</html>"));

        HttpResponse<String> mod = proxy.getText("/" + MOD);
        HttpResponse<byte[]> zip = proxy.get("/" + ZIP);

        assertEquals(502, mod.statusCode());
        assertTrue(mod.body().contains("HTML"), mod.body());
        assertEquals(502, zip.statusCode());
        assertFalse(stored(MOD));
        assertFalse(stored(ZIP));
    }

    @Test
    void htmlBodyLabelledAsTextIsRefusedForGoMod() throws Exception {
        upstream.on(MOD, ok("text/plain", "\n  <html><body>error</body></html>"));

        assertEquals(502, proxy.getText("/" + MOD).statusCode());
        assertFalse(stored(MOD));
    }

    @Test
    void goModDeclaringAnotherModuleIsServedForTheGoCommandToJudge() throws Exception {
        // a fork used through a replace directive names the original module; the go command accepts that
        upstream.on(MOD, ok("text/plain", Modules.goMod("example.com/other")));

        HttpResponse<String> response = proxy.getText("/" + MOD);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(Modules.goMod("example.com/other"), response.body());
        assertTrue(stored(MOD));
    }

    @Test
    void emptyAnswersWithStatus200AreRefusedExceptAnEmptyVersionList() throws Exception {
        upstream.on(MOD, ok("text/plain", ""));
        upstream.on("example.com/lib/@v/v1.0.0.info", ok("application/json", ""));
        upstream.on("example.com/lib/@latest", ok("application/json", ""));
        upstream.on("example.com/lib/@v/list", ok("text/plain", ""));

        HttpResponse<String> mod = proxy.getText("/" + MOD);

        assertEquals(502, mod.statusCode());
        assertTrue(mod.body().contains("empty"), mod.body());
        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.0.info").statusCode());
        assertEquals(502, proxy.getText("/example.com/lib/@latest").statusCode());
        assertFalse(stored(MOD));
        HttpResponse<String> list = proxy.getText("/example.com/lib/@v/list");
        assertEquals(200, list.statusCode(), "a module without tagged versions has an empty list");
        assertEquals("", list.body());
    }

    @Test
    void aVersionListKeepsItsVersionsAndIsStoredWithoutTheLinesTheGoCommandSkips() throws Exception {
        byte[] list = concat(
                "v1.0.0\nmaster\n1.2.0\n# comment\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, 'v', '2', '\n'},
                "\nv1.1.0 2024-01-05T00:00:00Z\n\u00a0v1.2.0-rc.1\u00a0x\n".getBytes(StandardCharsets.UTF_8));
        upstream.on("example.com/lib/@v/list", ok("text/plain", list));
        String kept = "v1.0.0\nv1.1.0 2024-01-05T00:00:00Z\n\u00a0v1.2.0-rc.1\u00a0x\n";

        HttpResponse<String> first = proxy.getText("/example.com/lib/@v/list");
        HttpResponse<String> again = proxy.getText("/example.com/lib/@v/list");

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(kept, first.body());
        assertEquals(kept, again.body());
        assertEquals(1, upstream.hits("example.com/lib/@v/list"), "the second answer came from the cache");
        try (InputStream storedList = proxy.storage
                .lookup(new StorageKey("example.com/lib/@v/list"))
                .orElseThrow()
                .open()) {
            assertEquals(kept, new String(storedList.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of(), Staging.stagedFiles(cacheDir), "the filtered copy is gone from the staging directory");
    }

    @Test
    void aVersionListLineLongerThanTheCheckHoldsKeepsItsCompleteFields() throws Exception {
        String tail = "y".repeat(70 * 1024);
        upstream.on(
                "example.com/lib/@v/list",
                ok("text/plain", "v1.0.0 2024-01-05T00:00:00Z " + tail + "\nv1.1.0\n" + tail + "\n"));

        HttpResponse<String> list = proxy.getText("/example.com/lib/@v/list");

        assertEquals(200, list.statusCode(), list.body());
        assertEquals("v1.0.0 2024-01-05T00:00:00Z \nv1.1.0\n", list.body());
    }

    @Test
    void aVersionListWhoseLinesNameNoVersionIsRefusedAndOneOfBlankLinesIsEmpty() throws Exception {
        upstream.on("example.com/lib/@v/list", ok("text/plain", "not found: example.com/lib\nmaster\n"));
        upstream.on("example.com/blank/@v/list", ok("text/plain", "\n \n"));

        HttpResponse<String> words = proxy.getText("/example.com/lib/@v/list");
        HttpResponse<String> blank = proxy.getText("/example.com/blank/@v/list");

        assertEquals(502, words.statusCode());
        assertTrue(
                words.body()
                        .contains(
                                "version list names no version on any line: line 1 is \"not found: example.com/lib\", and 1 more"),
                words.body());
        assertFalse(stored("example.com/lib/@v/list"));
        assertEquals(200, blank.statusCode(), blank.body());
        assertEquals("\n \n", blank.body(), "a list with nothing to drop is served as it came");
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    @Test
    void infoThatIsNotExactlyOneJsonObjectIsRefused() throws Exception {
        upstream.on(
                "example.com/lib/@v/v1.0.0.info",
                ok("application/json", Modules.info("v1.0.0") + " {\"Version\":\"v9.0.0\"}"));
        upstream.on("example.com/lib/@v/v1.0.1.info", ok("application/json", "[\"v1.0.1\"]"));
        upstream.on("example.com/lib/@v/v1.0.2.info", ok("application/json", "{\"Version\":\"v1.0.2\",\"Time\":12}"));

        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.0.info").statusCode());
        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.1.info").statusCode());
        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.2.info").statusCode());
        assertFalse(stored("example.com/lib/@v/v1.0.0.info"));
    }

    @Test
    void infoWithFieldNamesInAnotherCaseIsServed() throws Exception {
        // the go command's JSON decoding matches field names in any case
        String info = "{\"version\":\"v1.0.0\",\"time\":\"2024-01-02T03:04:05Z\"}";
        upstream.on("example.com/lib/@v/v1.0.0.info", ok("application/json", info));
        upstream.on("example.com/lib/@v/v1.0.1.info", ok("application/json", "{\"version\":\"v1.0.1\",\"time\":7}"));

        HttpResponse<String> response = proxy.getText("/example.com/lib/@v/v1.0.0.info");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(info, response.body());
        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.1.info").statusCode(), "its Time is still checked");
    }

    @Test
    void theValuesARefusalNamesAreQuotedEvenWhenEmpty() throws Exception {
        upstream.on("example.com/lib/@v/v1.0.0.info", ok("application/json", "{\"Version\":\"v1.0.0\",\"Time\":\"\"}"))
                .on("example.com/lib/@v/v1.0.1.info", ok("application/json", "{\"Version\":\"\"}"))
                .on("example.com/lib/@latest", ok("application/json", "{\"Version\":\"\"}"));

        HttpResponse<String> time = proxy.getText("/example.com/lib/@v/v1.0.0.info");
        HttpResponse<String> version = proxy.getText("/example.com/lib/@v/v1.0.1.info");
        HttpResponse<String> latest = proxy.getText("/example.com/lib/@latest");

        assertEquals(502, time.statusCode());
        assertTrue(time.body().strip().endsWith(".info has a Time that is not an RFC 3339 time: \"\""), time.body());
        assertTrue(
                version.body().strip().endsWith(".info for example.com/lib@v1.0.1 names version \"\""), version.body());
        assertTrue(latest.body().strip().endsWith("answer names non-canonical version \"\""), latest.body());
    }

    @Test
    void infoIsReadAsTheGoCommandReadsItTheLastKeyOfAFieldInAnyCaseWinsAndNullChangesNothing() throws Exception {
        // the go command would read v9.9.9, or the time "garbage", from each of these: refused, never cached
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("v1.0.1", "{\"Version\":\"v1.0.1\",\"VERSION\":\"v9.9.9\"}");
        refused.put("v1.0.2", "{\"version\":\"v9.9.9\",\"x\":1,\"Version\":\"v1.0.2\",\"version\":\"v9.9.9\"}");
        refused.put("v1.0.3", "{\"Version\":\"v1.0.3\",\"Time\":\"2024-01-01T00:00:00Z\",\"time\":\"garbage\"}");
        refused.put("v1.0.4", "{\"Version\":\"v1.0.4\",\"version\":[\"v1.0.4\"]}");
        assertRefusedAndNotStored(refused);
        // and these it reads as the version asked for
        Map<String, String> served = new java.util.LinkedHashMap<>();
        served.put("v1.1.0", "{\"VERSION\":\"v9.9.9\",\"Version\":\"v1.1.0\"}");
        served.put(
                "v1.1.1", "{\"Version\":\"v1.1.1\",\"version\":null,\"Time\":\"2024-01-01T00:00:00Z\",\"time\":null}");
        served.put("v1.1.2", "{\"Version\":\"v1.1.2\",\"Origin\":{\"Version\":\"v9.9.9\",\"Time\":7}}");
        assertServedAsTheyAre(served);
    }

    @Test
    void infoIsStrictJsonAsTheGoCommandReadsItAndOnlyWhiteSpaceMayFollowIt() throws Exception {
        // each of these the go command 1.26 refuses ("invalid character '/' after top-level value", "exceeded max
        // depth", ...): cached, it would fail every later build that needs the version
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("v1.0.1", "{\"Version\":\"v1.0.1\"}/* x */");
        refused.put("v1.0.2", "{\"Version\":\"v1.0.2\"} // x");
        refused.put("v1.0.3", "{\"Version\":\"v1.0.3\"} {}");
        refused.put("v1.0.4", "{\"Version\":\"v1.0.4\",}");
        refused.put("v1.0.5", "{'Version':\"v1.0.5\"}");
        refused.put("v1.0.6", "{\"Version\":\"v1.0.6\",\"x\":NaN}");
        refused.put("v1.0.7", "{\"Version\":\"v1.0.7\",\"x\":01}");
        refused.put("v1.0.8", "{\"Version\":\"v1.0.8\",\"x\":\"\\q\"}");
        refused.put("v1.0.9", "\uFEFF{\"Version\":\"v1.0.9\"}");
        refused.put("v1.0.10", "{\"Version\":\"v1.0.10\",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}");
        refused.put("v1.0.11", "{\"Version\":7,\"Version\":\"v1.0.11\"}");
        assertRefusedAndNotStored(refused);
        // and these it reads as the version asked for: white space after the object, nesting as deep as its
        // limit, a number or a name longer than any default limit, a key matching in Unicode case folding
        Map<String, String> served = new java.util.LinkedHashMap<>();
        served.put("v1.1.0", "{\"Version\":\"v1.1.0\"} \n\t\r\n");
        served.put("v1.1.1", "{\"Version\":\"v1.1.1\",\"x\":" + "[".repeat(9_999) + "]".repeat(9_999) + "}");
        served.put(
                "v1.1.2", "{\"Version\":\"v1.1.2\",\"x\":" + "1".repeat(5_000) + ",\"" + "y".repeat(60_000) + "\":1}");
        served.put("v1.1.3", "{\"Ver\\u017Fion\":\"v1.1.3\"}");
        assertServedAsTheyAre(served);
    }

    @Test
    void infoTimesTheGoCommandTakesAreServed() throws Exception {
        // the go command 1.26 takes each of these Times (time.Parse with RFC 3339's layout): refused, a build that
        // works without this proxy failed through it with a 502
        Map<String, String> served = new LinkedHashMap<>();
        served.put("v1.1.0", info("v1.1.0", "2024-01-02T03:04:05+20:00"));
        served.put("v1.1.1", info("v1.1.1", "2024-01-02T03:04:05-24:00"));
        served.put("v1.1.2", info("v1.1.2", "2024-01-02T03:04:05.1234567890123Z"));
        served.put("v1.1.3", info("v1.1.3", "2024-01-02T3:04:05,5Z"));
        served.put("v1.1.4", info("v1.1.4", "2024-02-29T00:00:00Z"));
        assertServedAsTheyAre(served);
    }

    @Test
    void infoTimesTheGoCommandRefusesAreRefusedAndNotCached() throws Exception {
        // the go command 1.26 refuses each of these ("invalid response from proxy"), the first for the escape it
        // parses as written: cached, every later build that needs the version would fail
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("v1.0.1", info("v1.0.1", "2024-01-02T03:04:05\\u005a"));
        refused.put("v1.0.2", info("v1.0.2", "2023-02-29T00:00:00Z"));
        refused.put("v1.0.3", info("v1.0.3", "2024-01-02T03:04:60Z"));
        refused.put("v1.0.4", info("v1.0.4", "2024-01-02T03:04:05+23:61"));
        refused.put("v1.0.5", info("v1.0.5", "2024-01-02T24:00:00Z"));
        assertRefusedAndNotStored(refused);
    }

    @Test
    void infoWithATimeTheGoCommandRefusesIsRefusedThoughALaterKeyForTimeHoldsAGoodOne() throws Exception {
        // encoding/json hands each Time key's value to time.Time as it comes, and the go command 1.26 stops at the
        // first it cannot parse ("invalid response from proxy"): cached, every later build that needs the version fails
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("v1.0.1", "{\"Version\":\"v1.0.1\",\"Time\":\"yesterday\",\"Time\":\"2024-01-02T03:04:05Z\"}");
        refused.put(
                "v1.0.2",
                "{\"Version\":\"v1.0.2\",\"TIME\":\"2024-01-02T03:04:05\\u005a\",\"time\":\"2024-01-02T03:04:05Z\"}");
        refused.put("v1.0.3", "{\"Version\":\"v1.0.3\",\"Time\":\"2024-02-30T00:00:00Z\",\"Time\":null}");
        assertRefusedAndNotStored(refused);
    }

    private static String info(String version, String time) {
        return "{\"Version\":\"" + version + "\",\"Time\":\"" + time + "\"}";
    }

    /** Each .info (by version) answered upstream is a 502 to the client and is not cached. */
    private void assertRefusedAndNotStored(Map<String, String> infos) throws Exception {
        for (Map.Entry<String, String> info : infos.entrySet()) {
            String path = "example.com/lib/@v/" + info.getKey() + ".info";
            upstream.on(path, ok("application/json", info.getValue()));

            HttpResponse<String> response = proxy.getText("/" + path);

            assertEquals(502, response.statusCode(), info.getKey() + " answered " + response.body());
            assertFalse(stored(path), info.getKey());
        }
    }

    /** Each .info (by version) answered upstream reaches the client byte for byte. */
    private void assertServedAsTheyAre(Map<String, String> infos) throws Exception {
        for (Map.Entry<String, String> info : infos.entrySet()) {
            String path = "example.com/lib/@v/" + info.getKey() + ".info";
            upstream.on(path, ok("application/json", info.getValue()));

            HttpResponse<String> response = proxy.getText("/" + path);

            assertEquals(200, response.statusCode(), info.getKey() + " answered " + response.body());
            assertEquals(info.getValue(), response.body());
        }
    }

    @Test
    void infoNamingAnotherVersionIsRefused() throws Exception {
        upstream.on("example.com/lib/@v/v1.0.0.info", ok("application/json", Modules.info("v1.0.1")));

        assertEquals(502, proxy.getText("/example.com/lib/@v/v1.0.0.info").statusCode());
        assertFalse(stored("example.com/lib/@v/v1.0.0.info"));
    }

    @Test
    void latestNamingAVersionOfAnotherMajorIsRefused() throws Exception {
        upstream.on("example.com/lib/v2/@latest", ok("application/json", Modules.info("v1.4.0")));
        upstream.on("example.com/lib/@v/master.info", ok("application/json", Modules.info("v3.0.0")));

        HttpResponse<String> latest = proxy.getText("/example.com/lib/v2/@latest");
        HttpResponse<String> branch = proxy.getText("/example.com/lib/@v/master.info");

        assertEquals(502, latest.statusCode());
        assertTrue(latest.body().contains("another major"), latest.body());
        assertEquals(502, branch.statusCode());
        assertFalse(stored("example.com/lib/v2/@latest"));
        assertFalse(stored("example.com/lib/@v/master.info"));
    }

    @Test
    void truncatedZipIsNotStoredAndTheClientSeesAFailedDownload() throws Exception {
        byte[] zip = Modules.zip("example.com/lib", "v1.0.0");
        upstream.on(ZIP, FakeUpstream.truncated(zip, zip.length / 2));

        int status;
        boolean complete;
        try {
            HttpResponse<byte[]> response = proxy.get("/" + ZIP);
            status = response.statusCode();
            complete = response.statusCode() == 200 && response.body().length == zip.length;
        } catch (IOException e) {
            status = -1; // connection broken mid-body: what the go command sees as a failed download
            complete = false;
        }

        assertFalse(complete, "client must not receive a complete-looking zip, status " + status);
        assertFalse(stored(ZIP));
        assertEquals(List.of(), Staging.stagedFiles(cacheDir), "staging files are removed");
    }

    @Test
    void zipWithWrongModulePrefixIsRefused() throws Exception {
        upstream.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));

        assertThrowsOrFails("/" + ZIP);
        assertFalse(stored(ZIP));
    }

    @Test
    void zipWithEscapingEntryIsRefused() throws Exception {
        upstream.on(
                ZIP,
                ok(
                        "application/zip",
                        Modules.zipOf(
                                "example.com/lib@v1.0.0/",
                                Map.of("go.mod", "module example.com/lib\n", "../../etc/passwd", "x"))));

        assertThrowsOrFails("/" + ZIP);
        assertFalse(stored(ZIP));
    }

    @Test
    void zipWithNamesEqualIgnoringCaseIsRefused() throws Exception {
        upstream.on(
                ZIP,
                ok("application/zip", Modules.zipOf("example.com/lib@v1.0.0/", Map.of("README", "a", "readme", "b"))));

        assertThrowsOrFails("/" + ZIP);
        assertFalse(stored(ZIP));
    }

    @Test
    void namesEqualOnlyUnderTurkishCasingAreNoCollisionAsTheGoCommandFoldsThem() throws Exception {
        // the go command folds by Unicode simple case folding (unicode.SimpleFold), in which dotless i and dotted
        // capital I fold to themselves alone: i.go, ı.go and İ.go are three files to it, and it extracts the zip
        Map<String, String> turkish = new LinkedHashMap<>();
        turkish.put("go.mod", "module example.com/lib\n");
        turkish.put("i.go", "package lib\n");
        turkish.put("\u0131.go", "package lib\n");
        turkish.put("\u0130.go", "package lib\n");
        byte[] zip = Modules.zipOf("example.com/lib@v1.0.0/", turkish);
        upstream.on(ZIP, ok("application/zip", zip));

        HttpResponse<byte[]> response = proxy.get("/" + ZIP);

        assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        assertArrayEquals(zip, response.body());
        assertTrue(stored(ZIP));

        // what the go command does fold together stays a collision: I and i, and the Kelvin sign K with k
        for (Map.Entry<String, String> pair :
                Map.of("I.go", "i.go", "\u212a.go", "k.go").entrySet()) {
            String other =
                    pair.getKey().startsWith("I") ? "example.com/lib/@v/v1.1.0.zip" : "example.com/lib/@v/v1.2.0.zip";
            String prefix = other.replace("/@v/", "@").replace(".zip", "/");
            Map<String, String> files = new LinkedHashMap<>();
            files.put("go.mod", "module example.com/lib\n");
            files.put(pair.getKey(), "package lib\n");
            files.put(pair.getValue(), "package lib\n");
            upstream.on(other, ok("application/zip", Modules.zipOf(prefix, files)));

            HttpResponse<byte[]> refused = proxy.get("/" + other);

            assertEquals(502, refused.statusCode(), pair.toString());
            assertTrue(
                    new String(refused.body(), StandardCharsets.UTF_8).contains("equal ignoring case"),
                    new String(refused.body(), StandardCharsets.UTF_8));
            assertFalse(stored(other), pair + " is refused and not stored");
        }
    }

    @Test
    void lettersOfTheGoCommandsUnicodeNewerThanJava17sAreFileNamesItTakesAndFoldsAsItDoes() throws Exception {
        // Unicode 14.0 and 15.0 letters (an Arabic letter, a CJK ideograph, one of CJK extension H), which the go
        // command (Unicode 15.0) takes as letters and Java 17's Character (Unicode 13.0) did not know
        Map<String, String> newer = new LinkedHashMap<>();
        newer.put("go.mod", "module example.com/lib\n");
        newer.put("\u0870.go", "package lib\n");
        newer.put("\u9ffd.go", "package lib\n");
        newer.put(new String(Character.toChars(0x31350)) + ".go", "package lib\n");
        byte[] zip = Modules.zipOf("example.com/lib@v1.0.0/", newer);
        upstream.on(ZIP, ok("application/zip", zip));

        HttpResponse<byte[]> response = proxy.get("/" + ZIP);

        assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        assertArrayEquals(zip, response.body());
        assertTrue(stored(ZIP));

        // a case pair of Unicode 14.0 (Glagolitic capital and small letter caudate chrivi) is one name to the go
        // command; a symbol of Unicode 14.0 (melting face) is no letter, and the go command refuses it
        String[][] refused = {
            {"\u2c2f.go", "\u2c5f.go", "equal ignoring case"},
            {new String(Character.toChars(0x1FAE0)) + ".go", "b.go", "invalid char"},
        };
        int minor = 0;
        for (String[] bad : refused) {
            minor++;
            String other = "example.com/lib/@v/v1." + minor + ".0.zip";
            Map<String, String> files = new LinkedHashMap<>();
            files.put("go.mod", "module example.com/lib\n");
            files.put(bad[0], "package lib\n");
            files.put(bad[1], "package lib\n");
            upstream.on(other, ok("application/zip", Modules.zipOf("example.com/lib@v1." + minor + ".0/", files)));

            HttpResponse<byte[]> answer = proxy.get("/" + other);

            String reason = new String(answer.body(), StandardCharsets.UTF_8);
            assertEquals(502, answer.statusCode(), bad[0] + ": " + reason);
            assertTrue(reason.contains(bad[2]), reason);
            assertFalse(stored(other), bad[0] + " is refused and not stored");
        }
    }

    /**
     * Letters newer than the go command's Unicode (15.0) are no file names to it: go1.26 unicode.IsLetter is
     * false for U+1C89 (Unicode 16.0) and U+2EBF0 (15.1). Java 17 does not know them (refused, as Go does); a JDK 22+
     * (Unicode 15.1+; JDK 25: 16.0) takes them as letters, so the proxy kept a zip every go command refuses
     * ('invalid char'). Without NewerUnicodeLetters.afterTheGoCommands it passes on JDK 17 and fails on JDK 25
     * (JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64), so run it so too.
     */
    @Test
    void lettersNewerThanTheGoCommandsUnicodeAreRefusedWhateverTheJvmKnows() throws Exception {
        int minor = 10;
        for (int letter : new int[] {0x1C89, 0x2EBF0}) {
            minor++;
            String other = "example.com/lib/@v/v1." + minor + ".0.zip";
            Map<String, String> files = new LinkedHashMap<>();
            files.put("go.mod", "module example.com/lib\n");
            files.put(new String(Character.toChars(letter)) + ".go", "package lib\n");
            upstream.on(other, ok("application/zip", Modules.zipOf("example.com/lib@v1." + minor + ".0/", files)));

            HttpResponse<byte[]> answer = proxy.get("/" + other);

            String reason = new String(answer.body(), StandardCharsets.UTF_8);
            assertEquals(
                    502,
                    answer.statusCode(),
                    Integer.toHexString(letter) + " on Java " + Runtime.version() + ": " + reason);
            assertFalse(stored(other));
        }
    }

    @Test
    void zipListingTheModuleRootAndSubdirectoriesIsServed() throws Exception {
        // archivers that store directories write the root's own entry too; the go command skips it
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("", "");
        files.put("go.mod", "module example.com/lib\n");
        files.put("sub/", "");
        files.put("sub/a.go", "package sub\n");
        byte[] zip = Modules.zipOf("example.com/lib@v1.0.0/", files);
        upstream.on(ZIP, ok("application/zip", zip));

        HttpResponse<byte[]> response = proxy.get("/" + ZIP);

        assertEquals(200, response.statusCode());
        assertArrayEquals(zip, response.body());
        assertTrue(stored(ZIP));
    }

    @Test
    void zipWithANameThatIsBothAFileAndADirectoryIsRefused() throws Exception {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("go.mod", "module example.com/lib\n");
        files.put("doc", "a file");
        files.put("doc/", "");
        upstream.on(ZIP, ok("application/zip", Modules.zipOf("example.com/lib@v1.0.0/", files)));

        assertThrowsOrFails("/" + ZIP);
        assertFalse(stored(ZIP));
    }

    @Test
    void zipsTheGoCommandWouldRefuseToExtractAreRefusedAndNotStored() throws Exception {
        // each with its reason in golang.org/x/mod/zip's checkZip, which the go command runs before it unzips
        Map<String, byte[]> refused = new java.util.LinkedHashMap<>();
        for (String name : new String[] {
            "a*b.go",
            "a\"b.go",
            "a:b.go",
            "a<b.go",
            "a|b.go",
            "a?b.go",
            "a'b.go",
            "a`b.go",
            "a;b.go", // invalid char
            "a\u0001b.go",
            "a\u200bb.go", // a control character, a format character
            "con.go",
            "sub/AUX",
            "lpt1", // Windows reserved names
            "b.",
            "sub./x.go", // trailing dot
            "sub/go.mod",
            "GO.MOD", // a go.mod only in the module root, spelled so
        }) {
            refused.put(name, "x\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        refused.put("LICENSE", new byte[(16 << 20) + 1]); // the go command's limit for a LICENSE
        int minor = 0;
        for (Map.Entry<String, byte[]> bad : refused.entrySet()) {
            minor++;
            String zip = "example.com/lib/@v/v1." + minor + ".0.zip";
            Map<String, byte[]> files = new java.util.LinkedHashMap<>();
            if (!bad.getKey().equals("GO.MOD")) {
                files.put("go.mod", "module example.com/lib\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            files.put(bad.getKey(), bad.getValue());
            upstream.on(zip, ok("application/zip", Modules.zipOfBytes("example.com/lib@v1." + minor + ".0/", files)));

            assertThrowsOrFails("/" + zip);
            assertFalse(stored(zip), bad.getKey() + " is refused and not stored");
        }

        Map<String, String> accepted = new java.util.LinkedHashMap<>();
        accepted.put("go.mod", "module example.com/lib\n");
        for (String name : new String[] {
            "a b.go", "\u00fcn\u00efcode.go", "x!#$%&()+,-.=@[]^_{}~.txt", ".hidden/-dash.go", "console.go", "LICENSE",
        }) {
            accepted.put(name, "x\n");
        }
        String zip = "example.com/lib/@v/v2.0.0+incompatible.zip";
        byte[] bytes = Modules.zipOf("example.com/lib@v2.0.0+incompatible/", accepted);
        upstream.on(zip, ok("application/zip", bytes));
        HttpResponse<byte[]> response = proxy.get("/" + zip);
        assertEquals(200, response.statusCode(), new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        assertArrayEquals(bytes, response.body());
        assertTrue(stored(zip), "names the go command accepts pass");
    }

    @Test
    void aSmallZipRefusedColdIsA502SayingWhyHoweverItsBytesArrivedAndALaterGoodAnswerIsServed() throws Exception {
        proxy.close();
        proxy = new ProxyUnderTest(
                upstream.url(), cacheDir, ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(1)));
        byte[] noise = new byte[30 * 1024];
        new Random(7).nextBytes(noise);
        byte[] bad = Modules.zipOf(
                "example.com/lib@v1.0.0/",
                Map.of(
                        "go.mod",
                        "module example.com/lib\n",
                        "a*b.go",
                        java.util.Base64.getEncoder().encodeToString(noise)));
        upstream.on(ZIP, exchange -> {
            // in pieces of 1 KiB, each flushed: the proxy reads it in many small reads
            exchange.getResponseHeaders().set("Content-Type", "application/zip");
            exchange.sendResponseHeaders(200, bad.length);
            OutputStream out = exchange.getResponseBody();
            for (int at = 0; at < bad.length; at += 1024) {
                out.write(bad, at, Math.min(1024, bad.length - at));
                out.flush();
            }
            out.close();
        });

        HttpResponse<String> refused = proxy.getText("/" + ZIP);

        assertEquals(502, refused.statusCode(), refused.body());
        assertTrue(
                refused.body().contains("a*b.go") && refused.body().contains("invalid char"),
                "the client is told what is wrong: " + refused.body());
        assertEquals(
                refused.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                refused.headers().firstValueAsLong("Content-Length").orElse(-1));
        assertFalse(stored(ZIP));

        byte[] good = Modules.zip("example.com/lib", "v1.0.0");
        upstream.on(ZIP, ok("application/zip", good));
        proxy.getTextUntil("/" + ZIP, r -> r.statusCode() == 200); // the refusal is remembered for the negative TTL
        HttpResponse<byte[]> served = proxy.get("/" + ZIP);
        assertEquals(200, served.statusCode());
        assertArrayEquals(good, served.body());
        assertTrue(stored(ZIP));
    }

    @Test
    void aFileThatIsAlsoTheParentOfAnotherIsRefused() throws Exception {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("go.mod", "module example.com/lib\n");
        files.put("doc", "a file");
        files.put("doc/a.txt", "and a directory, without an entry of its own");
        upstream.on(ZIP, ok("application/zip", Modules.zipOf("example.com/lib@v1.0.0/", files)));

        assertThrowsOrFails("/" + ZIP);
        assertFalse(stored(ZIP));
    }

    private void assertThrowsOrFails(String path) throws InterruptedException {
        try {
            HttpResponse<byte[]> response = proxy.get(path);
            assertEquals(502, response.statusCode(), "a rejected zip is never a 200 with a full body");
        } catch (IOException e) {
            // aborted stream: also a failure the go command falls through on
        }
    }

    @Test
    void validZipIsServedAndThenAnsweredFromTheCache() throws Exception {
        byte[] zip = Modules.zip("example.com/lib", "v1.0.0");
        upstream.on(ZIP, ok("application/zip", zip));

        HttpResponse<byte[]> cold = proxy.get("/" + ZIP);
        HttpResponse<byte[]> warm = proxy.get("/" + ZIP);

        assertEquals(200, cold.statusCode());
        assertArrayEquals(zip, cold.body());
        assertEquals(200, warm.statusCode());
        assertArrayEquals(zip, warm.body());
        assertEquals(
                "application/zip", warm.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(
                String.valueOf(zip.length),
                warm.headers().firstValue("Content-Length").orElseThrow());
        assertTrue(warm.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
        assertEquals(1, upstream.hits(ZIP));
        assertTrue(stored(ZIP));
    }

    @Test
    void coldZipReachesTheFirstClientWhileStillDownloading() throws Exception {
        byte[] zip = largeZip();
        int firstPart = zip.length / 2;
        CountDownLatch clientSawBytes = new CountDownLatch(1);
        upstream.on(ZIP, exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/zip");
            exchange.sendResponseHeaders(200, zip.length);
            OutputStream out = exchange.getResponseBody();
            out.write(zip, 0, firstPart);
            out.flush();
            try {
                clientSawBytes.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write(zip, firstPart, zip.length - firstPart);
        });

        HttpResponse<InputStream> response = proxy.client()
                .send(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/" + ZIP))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            byte[] head = body.readNBytes(64 * 1024);
            assertEquals(64 * 1024, head.length, "bytes arrive before the upstream has finished");
            assertFalse(stored(ZIP), "not a cache entry before the download completes");
            clientSawBytes.countDown();
            byte[] rest = body.readAllBytes();
            byte[] all = new byte[head.length + rest.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(rest, 0, all, head.length, rest.length);
            assertArrayEquals(zip, all);
        }
        assertTrue(stored(ZIP));
    }

    /** A zip with incompressible content, several chunks long. */
    private static byte[] largeZip() {
        byte[] noise = new byte[600 * 1024];
        new Random(42).nextBytes(noise);
        String text = java.util.Base64.getEncoder().encodeToString(noise);
        return Modules.zipOf("example.com/lib@v1.0.0/", Map.of("go.mod", "module example.com/lib\n", "data.txt", text));
    }

    @Test
    void verifierRejectionsNameTheProblem() {
        AnswerChecks verifier = new AnswerChecks();
        ArtifactRejectedException e = assertThrows(ArtifactRejectedException.class, () -> {
            Path notZip = Files.writeString(cacheDir.resolve("x.zip"), "not a zip");
            verifier.verify(
                    dev.modproxy.proxy.protocol.ProxyRequest.parse("/example.com/lib/@v/v1.0.0.zip"),
                    new StagedAnswer(notZip, false));
        });
        // no zip at all, as checkStart says of a download's first bytes: a page in its place, not remembered
        assertTrue(e.getMessage().startsWith("not a zip file: it starts with the bytes 6e 6f 74 20"), e.getMessage());
        assertTrue(e instanceof NotAnAnswerException, e.getClass().getName());
    }
}
