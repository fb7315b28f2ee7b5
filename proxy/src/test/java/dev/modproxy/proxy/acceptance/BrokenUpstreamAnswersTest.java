package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream answers the go command would refuse are never cached: once the upstream is repaired,
 * the same go command through the same proxy succeeds.
 */
class BrokenUpstreamAnswersTest {

    private static final String MODULE = "example.com/broken/lib";
    private static final String VERSION = "v1.0.0";

    @TempDir
    Path dir;
    @RegisterExtension
    final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, MODULE, VERSION));

    private GoClient.Result download(String home) throws Exception {
        return new GoClient(dir.resolve(home), env.proxy().url()).download(MODULE + "@" + VERSION);
    }

    private boolean stored(String file) throws Exception {
        return env.proxy().storage.lookup(new StorageKey(MODULE + "/@v/" + file)).isPresent();
    }

    @Test
    void infoWithATimeTheGoCommandCannotParseIsRefusedAndNotCached() throws Exception {
        env.upstream().on(MODULE + "/@v/" + VERSION + ".info",
                FakeUpstream.ok("application/json", "{\"Version\":\"" + VERSION + "\",\"Time\":\"yesterday\"}"));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertTrue(broken.both().contains("502"), broken.both());
        assertFalse(stored(VERSION + ".info"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Version\": \"" + VERSION + "\""), repaired.output());
    }

    @Test
    void zipWhoseDataDoesNotMatchItsCrcIsRefusedAndNotCached() throws Exception {
        env.upstream().on(MODULE + "/@v/" + VERSION + ".zip", FakeUpstream.ok("application/zip", damagedZip()));

        GoClient.Result broken = download("first");

        assertNotEquals(0, broken.exitCode(), broken.both());
        assertFalse(stored(VERSION + ".zip"));

        Modules.publish(env.upstream(), MODULE, VERSION);
        GoClient.Result repaired = download("second");
        assertEquals(0, repaired.exitCode(), repaired.both());
        assertTrue(repaired.output().contains("\"Zip\""), repaired.output());
    }

    /** A well-formed zip directory over data that changed after its CRC-32 was recorded. */
    private static byte[] damagedZip() throws Exception {
        Map<String, String> files = Map.of("go.mod", Modules.goMod(MODULE), "lib.go", "package lib\n\nconst Greeting = \"hello\"\n");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                byte[] data = file.getValue().getBytes(StandardCharsets.UTF_8);
                ZipEntry entry = new ZipEntry(MODULE + "@" + VERSION + "/" + file.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(data.length);
                entry.setCompressedSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(data);
                zip.closeEntry();
            }
        }
        String text = new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1);
        return text.replace("\"hello\"", "\"HELLO\"").getBytes(StandardCharsets.ISO_8859_1);
    }
}
