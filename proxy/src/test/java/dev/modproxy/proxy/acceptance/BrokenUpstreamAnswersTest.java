package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream answers the go command would refuse are never cached: once the upstream is repaired and the refusal's
 * negative TTL is over, the same go command through the same proxy succeeds.
 */
class BrokenUpstreamAnswersTest {

    private static final String MODULE = "example.com/broken/lib";
    private static final String VERSION = "v1.0.0";

    @TempDir
    Path dir;

    @RegisterExtension
    final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, MODULE, VERSION))
            .with(ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(1)));

    private GoClient.Result download(String home) throws Exception {
        return new GoClient(dir.resolve(home), env.proxy().url()).download(MODULE + "@" + VERSION);
    }

    /** Waits out the refusal the proxy remembers for the negative TTL: the repaired file is fetched after it. */
    private void awaitRepaired(String file) {
        env.proxy().getTextUntil("/" + MODULE + "/@v/" + file, answer -> answer.statusCode() == 200);
    }

    private boolean stored(String file) throws Exception {
        return env.proxy()
                .storage
                .lookup(new StorageKey(MODULE + "/@v/" + file))
                .isPresent();
    }

    @Test
    void infoWithATimeTheGoCommandCannotParseIsRefusedAndNotCached() throws Exception {
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".info",
                        FakeUpstream.ok(
                                "application/json", "{\"Version\":\"" + VERSION + "\",\"Time\":\"yesterday\"}"));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertTrue(broken.both().contains("502"), broken.both());
        assertFalse(stored(VERSION + ".info"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        awaitRepaired(VERSION + ".info");
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Version\": \"" + VERSION + "\""), repaired.output());
    }

    @Test
    void infoWithAnOriginTheGoCommandCannotDecodeIsRefusedAndNotCached() throws Exception {
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".info",
                        FakeUpstream.ok(
                                "application/json",
                                "{\"Version\":\"" + VERSION
                                        + "\",\"Time\":\"2024-01-02T03:04:05Z\",\"Origin\":\"git\"}"));

        GoClient.Result broken = download("first");

        // kept, it would be served as immutable for good: "invalid response from proxy" to every go command
        assertNotEquals(0, broken.exitCode(), broken.both());
        assertTrue(broken.both().contains("502 Bad Gateway"), broken.both());
        assertTrue(broken.both().contains(".info has an Origin that is not a JSON object"), broken.both());
        assertFalse(stored(VERSION + ".info"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        awaitRepaired(VERSION + ".info");
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Version\": \"" + VERSION + "\""), repaired.output());
    }

    @Test
    void originFieldsAreTakenOrRefusedAsTheGoCommandDecodesThem() throws Exception {
        // as json.Unmarshal into the go command's modfetch.RevInfo: Origin an object of string fields (VCS, URL,
        // Subdir, Hash, TagPrefix, TagSum, Ref, RepoSum; any case), or null; a field it does not know is skipped
        Map<String, Boolean> origins = new LinkedHashMap<>();
        origins.put("\"git\"", false);
        origins.put("[]", false);
        origins.put("{\"VCS\":1}", false);
        origins.put("{\"hash\":{\"a\":1}}", false);
        origins.put("{\"RepoSum\":[\"r1:x\"]}", false);
        origins.put("{\"Ref\":\"refs/tags/v1.0.0\",\"Ref\":2}", false);
        origins.put("null", true);
        origins.put("{\"Hash\":null}", true);
        origins.put(
                "{\"VCS\":\"git\",\"URL\":\"https://x\",\"Subdir\":\"\",\"Hash\":\"abc\",\"TagPrefix\":\"\","
                        + "\"TagSum\":\"t1:x\",\"Ref\":\"refs/tags/v1.0.0\",\"RepoSum\":\"r1:y\"}",
                true);
        origins.put("{\"vcs\":\"git\",\"Future\":{\"a\":[1]},\"Other\":5}", true);
        int minor = 0;
        for (Map.Entry<String, Boolean> origin : origins.entrySet()) {
            minor++;
            String version = "v1." + minor + ".0";
            String info = "{\"Version\":\"" + version + "\",\"Time\":\"2024-01-02T03:04:05Z\",\"Origin\":"
                    + origin.getKey() + "}";
            env.upstream().on(MODULE + "/@v/" + version + ".info", FakeUpstream.ok("application/json", info));

            HttpResponse<String> answer = env.proxy().getText("/" + MODULE + "/@v/" + version + ".info");

            if (origin.getValue()) {
                assertEquals(200, answer.statusCode(), origin.getKey() + ": " + answer.body());
                assertEquals(info, answer.body());
                assertTrue(stored(version + ".info"), origin.getKey());
            } else {
                assertEquals(502, answer.statusCode(), origin.getKey() + ": " + answer.body());
                assertTrue(answer.body().contains("Origin"), answer.body());
                assertFalse(stored(version + ".info"), origin.getKey());
            }
        }
    }

    /**
     * encoding/json matches a key to a field by foldName (unicode.SimpleFold orbits), where the dotless i (U+0131) and
     * the dotted capital I (U+0130) are each alone; String.equalsIgnoreCase took them for i/I. Checked with go1.26
     * json.Unmarshal into modfetch.RevInfo's fields: "Vers\u0131on" leaves Version empty (the go command then fails
     * with "proxy returned info for version  instead of requested version"), "T\u0131me":5 is no field, and
     * "Ver\u017Fion" (long s, in the orbit of s) is Version.
     */
    @Test
    void keysEqualToAFieldOnlyUnderTurkishCasingAreNoFieldOfTheGoCommand() throws Exception {
        String notVersion = "{\"Vers\u0131on\":\"" + VERSION + "\",\"Time\":\"2024-01-02T03:04:05Z\"}";
        String notTime = "{\"Version\":\"v1.2.0\",\"Time\":\"2024-01-02T03:04:05Z\",\"T\u0131me\":5}";
        String longS = "{\"Ver\u017Fion\":\"v1.3.0\",\"Time\":\"2024-01-02T03:04:05Z\"}";
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".info",
                        FakeUpstream.ok("application/json", notVersion.getBytes(StandardCharsets.UTF_8)))
                .on(
                        MODULE + "/@v/v1.2.0.info",
                        FakeUpstream.ok("application/json", notTime.getBytes(StandardCharsets.UTF_8)))
                .on(
                        MODULE + "/@v/v1.3.0.info",
                        FakeUpstream.ok("application/json", longS.getBytes(StandardCharsets.UTF_8)));

        GoClient.Result go = download("first");
        HttpResponse<byte[]> unknownField = env.proxy().get("/" + MODULE + "/@v/v1.2.0.info");
        HttpResponse<byte[]> foldedVersion = env.proxy().get("/" + MODULE + "/@v/v1.3.0.info");

        org.junit.jupiter.api.Assertions.assertAll(
                () -> assertFalse(
                        stored(VERSION + ".info"), "no Version for the go command, kept as immutable: " + go.both()),
                () -> assertEquals(
                        200,
                        unknownField.statusCode(),
                        "a field the go command does not know is skipped: "
                                + new String(unknownField.body(), StandardCharsets.UTF_8)),
                () -> assertEquals(
                        200,
                        foldedVersion.statusCode(),
                        "long s folds with s, so this is the go command's Version: "
                                + new String(foldedVersion.body(), StandardCharsets.UTF_8)));
    }

    @Test
    void bytesThatAreNotUtf8AreTakenInsideAJsonStringAndRefusedOutsideAsTheGoCommandReadsThem() throws Exception {
        // encoding/json reads a byte that is not UTF-8 inside a string as U+FFFD, and refuses it anywhere else
        byte[] latin1Ref = ("{\"Version\":\"v1.1.0\",\"Time\":\"2024-01-02T03:04:05Z\","
                        + "\"Origin\":{\"VCS\":\"git\",\"Ref\":\"refs/heads/caf\u00e9\"}}")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] latin1Outside = "{\"Version\":\"v1.2.0\",\"Time\":\"2024-01-02T03:04:05Z\"}\u00e9"
                .getBytes(StandardCharsets.ISO_8859_1);
        env.upstream()
                .on(MODULE + "/@v/v1.1.0.info", FakeUpstream.ok("application/json", latin1Ref))
                .on(MODULE + "/@v/v1.2.0.info", FakeUpstream.ok("application/json", latin1Outside));

        HttpResponse<byte[]> taken = env.proxy().get("/" + MODULE + "/@v/v1.1.0.info");
        HttpResponse<byte[]> refused = env.proxy().get("/" + MODULE + "/@v/v1.2.0.info");

        assertEquals(200, taken.statusCode(), new String(taken.body(), StandardCharsets.UTF_8));
        assertArrayEquals(latin1Ref, taken.body(), "served as the upstream sent it");
        assertTrue(stored("v1.1.0.info"));
        assertEquals(502, refused.statusCode());
        assertFalse(stored("v1.2.0.info"));
    }

    @Test
    void zipWhoseDataDoesNotMatchItsCrcIsRefusedAndNotCached() throws Exception {
        env.upstream()
                .on(
                        MODULE + "/@v/" + VERSION + ".zip",
                        FakeUpstream.ok("application/zip", Modules.damagedZip(MODULE, VERSION)));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertFalse(stored(VERSION + ".zip"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        awaitRepaired(VERSION + ".zip");
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Zip\""), repaired.output());
    }
}
