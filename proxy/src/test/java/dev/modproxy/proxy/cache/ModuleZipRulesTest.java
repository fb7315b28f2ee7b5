package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.checksum.DirHash;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.testing.Modules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entries' data is checked on several threads at once: damage is found wherever it lies. */
class ModuleZipRulesTest {

    private static final ModulePath MODULE = ModulePath.of("example.com/many");
    private static final ModuleVersion VERSION = ModuleVersion.parse("v1.0.0");
    /** More files than this machine's cores, so that every thread has some. */
    private static final int FILES = 2 * Runtime.getRuntime().availableProcessors() + 3;

    @TempDir
    Path dir;

    /**
     * A module zip of FILES stored files, over 1 MiB (so checked on several threads); the one at damaged (-1: none)
     * has its data changed after its CRC-32.
     */
    private Path zip(int damaged) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i < FILES; i++) {
            files.put(
                    "f" + i + ".go",
                    "package many\n\nconst F" + i + " = \"file " + i + "\"\n" + "// padding\n".repeat(20_000));
        }
        String text = new String(Modules.storedZipOf("example.com/many@v1.0.0/", files), StandardCharsets.ISO_8859_1);
        if (damaged >= 0) {
            text = text.replace("\"file " + damaged + "\"", "\"FILE " + damaged + "\"");
        }
        Path file = dir.resolve("zip-" + damaged + ".zip");
        Files.write(file, text.getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(Files.size(file) > 1 << 20, "large enough to be checked on several threads");
        return file;
    }

    @Test
    void aZipWhoseEveryEntryMatchesItsCrcPasses() throws IOException {
        Path whole = zip(-1);
        assertDoesNotThrow(() -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(whole, false)));
    }

    @Test
    void aDamagedEntryIsFoundWhicheverThreadChecksIt() throws IOException {
        for (int damaged = 0; damaged < FILES; damaged++) {
            Path file = zip(damaged);
            ArtifactRejectedException rejected = assertThrows(
                    ArtifactRejectedException.class,
                    () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(file, false)));
            assertTrue(
                    rejected.getMessage().contains("f" + damaged + ".go is damaged"),
                    "entry " + damaged + ": " + rejected.getMessage());
        }
    }

    /**
     * A zip under 1 MiB (checked on the calling thread alone) that also lists the module root's own directory, an
     * entry the h1: hash takes like any other.
     */
    private Path smallZipWithItsRootDirectory() throws IOException {
        Path file = dir.resolve("small.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            out.putNextEntry(new ZipEntry("example.com/many@v1.0.0/"));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("example.com/many@v1.0.0/go.mod"));
            out.write("module example.com/many\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("example.com/many@v1.0.0/many.go"));
            out.write("package many\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return file;
    }

    @Test
    void whenAVerifierWantsTheZipsHashTheCheckWorksItOutInItsOwnPass() throws Exception {
        for (Path file : List.of(zip(-1), smallZipWithItsRootDirectory())) {
            String expected = DirHash.ofZip(file);
            StagedAnswer staged = new StagedAnswer(file, true);

            ModuleZipRules.check(MODULE, VERSION, staged);
            Files.delete(file); // nothing left to read: the hash can only come from the check's own pass

            assertEquals(expected, staged.zipHash(), file.getFileName().toString());
        }
    }

    @Test
    void whenNoVerifierWantsTheZipsHashTheCheckDoesNotPayForIt() throws Exception {
        Path file = zip(-1);
        StagedAnswer staged = new StagedAnswer(file, false);

        ModuleZipRules.check(MODULE, VERSION, staged);
        Files.delete(file);

        // not worked out by the check, so asked of a file that is gone
        assertThrows(IOException.class, staged::zipHash);
    }

    @Test
    void aDamagedEntryIsFoundWhileHashingToo() throws IOException {
        Path file = zip(FILES - 1);
        ArtifactRejectedException rejected = assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(file, true)));
        assertTrue(rejected.getMessage().contains("is damaged"), rejected.getMessage());
    }

    @Test
    void noEntryInflatedForTheHashMayHoldMoreThanItsRecordedSize() throws Exception {
        // the module root's own directory entry is not CRC-checked, but it is inflated for the h1: hash: a zip that
        // records 0 bytes for it and holds 1 MiB of zeros there (any amount, as a bomb) is refused once past 0
        Path file = dir.resolve("root-bomb.zip");
        String root = "example.com/many@v1.0.0/";
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            out.putNextEntry(new ZipEntry(root));
            out.write(new byte[1 << 20]);
            out.closeEntry();
            out.putNextEntry(new ZipEntry(root + "go.mod"));
            out.write("module example.com/many\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        byte[] bytes = Files.readAllBytes(file);
        byte[] name = root.getBytes(StandardCharsets.UTF_8);
        boolean patched = false;
        for (int at = 0; at + 46 + name.length <= bytes.length && !patched; at++) {
            boolean directoryHeader =
                    bytes[at] == 0x50 && bytes[at + 1] == 0x4b && bytes[at + 2] == 0x01 && bytes[at + 3] == 0x02;
            if (directoryHeader
                    && Arrays.equals(Arrays.copyOfRange(bytes, at + 46, at + 46 + name.length), name)
                    && bytes[at + 28] == name.length) {
                Arrays.fill(bytes, at + 24, at + 28, (byte) 0); // its uncompressed size, as the directory records it
                patched = true;
            }
        }
        assertTrue(patched, "the root entry's directory record");
        Files.write(file, bytes);

        ArtifactRejectedException rejected = assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(file, true)));
        assertTrue(rejected.getMessage().contains("holds more than its recorded size"), rejected.getMessage());
    }

    /**
     * A staged zip the proxy cannot read (gone, too many open files, a disk error) says nothing of the zip: a check not
     * made, which the cache does not remember as the upstream's answer.
     */
    @Test
    void aStagedZipThatCannotBeReadIsACheckNotMadeNotARefusalOfTheZip() {
        StagedAnswer gone = new StagedAnswer(dir.resolve("staged-and-gone.zip"), false);

        CheckNotMadeException notMade =
                assertThrows(CheckNotMadeException.class, () -> ModuleZipRules.check(MODULE, VERSION, gone));
        assertTrue(
                notMade.getMessage().startsWith("cannot read the staged zip (NoSuchFileException"),
                notMade.getMessage());
        assertFalse(notMade.getMessage().contains(dir.toString()), "the client is not told the cache's paths");
    }

    /** What the bytes get wrong is still a refusal of the zip, remembered: a check that was made. */
    @Test
    void bytesThatAreNoValidZipAreARefusalOfTheZipNotACheckNotMade() throws IOException {
        byte[] whole = Files.readAllBytes(smallZipWithItsRootDirectory());
        byte[] inflatesBadly = whole.clone();
        int data = indexOf(inflatesBadly, "many.go".getBytes(StandardCharsets.UTF_8)) + "many.go".length();
        Arrays.fill(inflatesBadly, data, data + 8, (byte) 0xff); // many.go's deflated data, past its local header
        Map<String, byte[]> broken = new LinkedHashMap<>();
        broken.put("not a zip at all", "<html>sign in to the network</html>".getBytes(StandardCharsets.UTF_8));
        broken.put("cut short before its end record", Arrays.copyOf(whole, whole.length - 10));
        broken.put("an entry whose data does not inflate", inflatesBadly);
        for (Map.Entry<String, byte[]> zip : broken.entrySet()) {
            Path file = dir.resolve("broken.zip");
            Files.write(file, zip.getValue());

            ArtifactRejectedException rejected = assertThrows(
                    ArtifactRejectedException.class,
                    () -> ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(file, true)),
                    zip.getKey());
            assertFalse(rejected instanceof CheckNotMadeException, zip.getKey() + ": " + rejected.getMessage());
        }
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int at = 0; at + part.length <= bytes.length; at++) {
            if (Arrays.equals(Arrays.copyOfRange(bytes, at, at + part.length), part)) {
                return at;
            }
        }
        throw new AssertionError("not found");
    }
}
