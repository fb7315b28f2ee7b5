package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zip of many empty files is small on the wire and large in the heap: reading it holds its whole central directory
 * and a name per file. Its end record says how large before anything reads the directory, and zip checks share a
 * bounded part of the heap.
 */
class ZipDirectoryTest {

    private static final ModulePath MODULE = ModulePath.of("example.com/many");
    private static final ModuleVersion VERSION = ModuleVersion.parse("v1.0.0");

    @TempDir
    Path dir;

    private Path zipOfEmptyFiles(int files) throws IOException {
        Path zip = dir.resolve(files + ".zip");
        try (OutputStream file = Files.newOutputStream(zip);
                ZipOutputStream out = new ZipOutputStream(file)) {
            out.putNextEntry(new ZipEntry("example.com/many@v1.0.0/go.mod"));
            out.write("module example.com/many\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (int i = 0; i < files; i++) {
                out.putNextEntry(new ZipEntry(String.format("example.com/many@v1.0.0/d/%08d", i)));
            }
        }
        return zip;
    }

    @Test
    void theEndRecordTellsEntriesAndDirectorySizeZip64Included() throws Exception {
        ZipDirectory small = ZipDirectory.read(zipOfEmptyFiles(10));
        assertEquals(11, small.entries());
        // a directory record is 46 bytes and the name: go.mod's, then ten of d/NNNNNNNN
        assertEquals(
                (46 + "example.com/many@v1.0.0/go.mod".length())
                        + 10 * (46 + "example.com/many@v1.0.0/d/00000000".length()),
                small.bytes());

        // over 65,535 entries the JDK writes a ZIP64 end record; the plain one then says 0xffff
        ZipDirectory many = ZipDirectory.read(zipOfEmptyFiles(70_000));
        assertEquals(70_001, many.entries());
        assertTrue(many.heapToCheck(false) > many.bytes() + 70_000L * 100, "a name per entry counts too");
        assertTrue(many.heapToCheck(true) > many.heapToCheck(false), "and a digest per entry when hashing");
    }

    @Test
    void aZipWhoseDirectoryWouldTakeMoreThanTheBudgetIsRefusedBeforeItIsRead() throws Exception {
        Path zip = zipOfEmptyFiles(20_000);

        ArtifactRejectedException refused = assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(
                        MODULE, VERSION, new StagedAnswer(zip, false), new DirectoryBudget(4L << 20)));

        assertTrue(refused.getMessage().contains("heap"), refused.getMessage());
        // the same zip passes where the budget has room for it, and gives the room back
        DirectoryBudget roomy = new DirectoryBudget(64L << 20);
        ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(zip, false), roomy);
        ModuleZipRules.check(MODULE, VERSION, new StagedAnswer(zip, false), roomy);
    }

    @Test
    void anEndRecordClaimingMoreEntriesThanItsDirectoryCanHoldIsRefused() throws Exception {
        Path zip = zipOfEmptyFiles(3);
        byte[] bytes = Files.readAllBytes(zip);
        ByteBuffer end = ByteBuffer.wrap(bytes, bytes.length - 22, 22).order(ByteOrder.LITTLE_ENDIAN);
        end.putShort(bytes.length - 22 + 8, (short) 0xfff0); // entries on this disk
        end.putShort(bytes.length - 22 + 10, (short) 0xfff0); // entries in all
        Files.write(zip, bytes);

        ArtifactRejectedException refused = assertThrows(
                ArtifactRejectedException.class,
                () -> ModuleZipRules.check(
                        MODULE, VERSION, new StagedAnswer(zip, false), new DirectoryBudget(64L << 20)));
        assertTrue(refused.getMessage().contains("claims 65520 entries"), refused.getMessage());
    }
}
