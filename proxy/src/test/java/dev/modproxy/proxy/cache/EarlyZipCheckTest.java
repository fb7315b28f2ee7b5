package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.checksum.DirHash;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.testing.Modules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zip inflated as it arrives: what the check after the download takes from that pass, and what it does not. The
 * bytes arrive in small pieces, as from a slow upstream.
 */
class EarlyZipCheckTest {

    private static final ModulePath MODULE = ModulePath.of("example.com/early");
    private static final ModuleVersion VERSION = ModuleVersion.parse("v1.0.0");
    private static final String PREFIX = "example.com/early@v1.0.0/";
    private static final int FILES = 40;

    @TempDir
    Path dir;

    /** FILES deflated files (with data descriptors, as the go command writes them) and one stored file. */
    private static byte[] zip() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Random random = new Random(7);
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (int i = 0; i < FILES; i++) {
                out.putNextEntry(new ZipEntry(PREFIX + "f" + i + ".go"));
                StringBuilder text = new StringBuilder("package early\n");
                for (int line = 0; line < 2_000; line++) {
                    text.append("// ").append(random.nextLong()).append('\n');
                }
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            Modules.putStored(out, PREFIX + "go.mod", "module example.com/early\n".getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /** Writes the first upTo bytes of zip to staged a few KiB at a time, telling the pass after each. */
    private static void arrive(byte[] zip, int from, int upTo, Path staged, EarlyZipCheck pass) throws IOException {
        try (OutputStream out = Files.newOutputStream(staged, StandardOpenOption.APPEND)) {
            for (int at = from; at < upTo; at += 7_000) {
                int length = Math.min(7_000, upTo - at);
                out.write(zip, at, length);
                out.flush();
                pass.arrived(staged, at + length);
            }
        }
    }

    /** A pass that starts with the first bytes (in production, once the download has gone on a while). */
    private EarlyZipCheck startOn(Path staged) throws IOException {
        Files.write(staged, new byte[0]);
        return new EarlyZipCheck(true, ModuleZipRules.MAX_UNCOMPRESSED_BYTES, Duration.ZERO);
    }

    /** The whole zip arrives in staged, and the pass has inflated every entry before the download ends. */
    private Map<Long, EarlyZipCheck.Inflated> arrivedAndInflatedWhole(byte[] zip, Path staged) throws IOException {
        EarlyZipCheck pass = startOn(staged);
        arrive(zip, 0, zip.length, staged, pass);
        // behind a slow link the pass keeps up with the download; here it may be behind when the last byte is written
        await().atMost(Duration.ofSeconds(30)).until(() -> pass.inflatedSoFar() == FILES + 1);
        return pass.end();
    }

    @Test
    void everyEntryInflatedAsTheZipArrivesIsTakenByTheCheck() throws Exception {
        Path staged = dir.resolve("staged.zip");
        Map<Long, EarlyZipCheck.Inflated> inflated = arrivedAndInflatedWhole(zip(), staged);

        assertEquals(FILES + 1, inflated.size(), "every entry, the stored one too");
        StagedAnswer answer = new StagedAnswer(staged, true, inflated);
        ModuleZipRules.check(MODULE, VERSION, answer);
        String h1 = DirHash.ofZip(staged);
        assertEquals(h1, answer.zipHash());

        // the check inflated nothing itself: data damaged after the pass goes unseen by it (and is seen without it)
        damageTheDataOf(staged, "f3.go");
        StagedAnswer again = new StagedAnswer(staged, true, inflated);
        ModuleZipRules.check(MODULE, VERSION, again);
        assertEquals(h1, again.zipHash());
        assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(staged, true)));
    }

    @Test
    void aResultIsTakenOnlyWhereTheCentralDirectoryAgreesWithIt() throws Exception {
        Path staged = dir.resolve("staged.zip");
        Map<Long, EarlyZipCheck.Inflated> inflated = arrivedAndInflatedWhole(zip(), staged);
        // the directory claims another CRC-32 for f5.go than its data has: the check inflates it and refuses the zip
        changeTheDirectorysCrcOf(staged, "f5.go");

        ArtifactRejectedException rejected = assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(staged, true, inflated)));
        assertTrue(rejected.getMessage().contains("f5.go is damaged"), rejected.getMessage());
    }

    @Test
    void aDownloadThatEndsEarlyLeavesTheRestToTheCheck() throws Exception {
        byte[] zip = zip();
        Path staged = dir.resolve("staged.zip");
        EarlyZipCheck pass = startOn(staged);
        arrive(zip, 0, zip.length * 2 / 5, staged, pass);
        await().atMost(Duration.ofSeconds(30)).until(() -> pass.inflatedSoFar() > 0);
        Map<Long, EarlyZipCheck.Inflated> inflated = pass.end(); // as when the download fails or ends
        assertTrue(inflated.size() > 0 && inflated.size() < FILES, inflated.size() + " entries");
        // the rest arrives after the pass has stopped (a test's liberty: a download that ended gets no more bytes)
        arrive(zip, zip.length * 2 / 5, zip.length, staged, pass);

        StagedAnswer answer = new StagedAnswer(staged, true, inflated);
        assertDoesNotThrow(() -> ModuleZipRules.check(MODULE, VERSION, answer));
        assertEquals(DirHash.ofZip(staged), answer.zipHash());
    }

    @Test
    void aPassOverAFileTheStorageMovedStops() throws Exception {
        byte[] zip = zip();
        Path staged = dir.resolve("staged.zip");
        EarlyZipCheck pass = startOn(staged);
        arrive(zip, 0, 1_000, staged, pass); // not one whole entry
        Path moved = Files.write(dir.resolve("moved.zip"), zip); // the staging spilled elsewhere
        pass.arrived(moved, zip.length);

        assertEquals(Map.of(), pass.end(), "nothing followed into the moved file");
    }

    @Test
    void aZipThatArrivesFastIsLeftToTheCheckAfterIt() throws Exception {
        byte[] zip = zip();
        Path staged = dir.resolve("staged.zip");
        Files.write(staged, new byte[0]);
        EarlyZipCheck pass = new EarlyZipCheck(true, ModuleZipRules.MAX_UNCOMPRESSED_BYTES, Duration.ofMinutes(1));
        arrive(zip, 0, zip.length, staged, pass);

        assertEquals(Map.of(), pass.end(), "no pass started: the check shares the work across the cores");
    }

    /** Flips a byte in the middle of the compressed data of the entry named name (found by its local header). */
    private static void damageTheDataOf(Path zip, String name) throws IOException {
        byte[] bytes = Files.readAllBytes(zip);
        int header = indexOf(bytes, 0x04034b50, PREFIX + name);
        ByteBuffer fields = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int data = header + 30 + (fields.getShort(header + 26) & 0xffff) + (fields.getShort(header + 28) & 0xffff);
        bytes[data + 200] ^= 0x55;
        Files.write(zip, bytes);
    }

    private static void changeTheDirectorysCrcOf(Path zip, String name) throws IOException {
        byte[] bytes = Files.readAllBytes(zip);
        int header = indexOf(bytes, 0x02014b50, PREFIX + name);
        bytes[header + 16] ^= 0x01;
        Files.write(zip, bytes);
    }

    /** Where the header with this signature for this entry name begins. */
    private static int indexOf(byte[] bytes, int signature, String name) {
        byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer fields = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int nameAt = signature == 0x04034b50 ? 30 : 46;
        for (int at = 0; at + nameAt + wanted.length <= bytes.length; at++) {
            if (fields.getInt(at) == signature
                    && (fields.getShort(at + (signature == 0x04034b50 ? 26 : 28)) & 0xffff) == wanted.length
                    && Arrays.equals(bytes, at + nameAt, at + nameAt + wanted.length, wanted, 0, wanted.length)) {
                return at;
            }
        }
        throw new AssertionError("no header for " + name);
    }
}
