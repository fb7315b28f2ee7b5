package dev.modproxy.proxy.checksum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Go reference hashes are checked end to end in SumDbVerifierTest; these pin the format. */
class DirHashTest {

    @TempDir
    Path dir;

    @Test
    void goModHashIsOverOneFileNamedGoMod() throws IOException {
        Path goMod = dir.resolve("x.mod");
        Files.writeString(goMod, "module example.com/x\n");
        Path zip = zip("go.mod", "module example.com/x\n");

        // A zip holding just a file named go.mod hashes the same as the go.mod alone.
        assertEquals(DirHash.ofZip(zip), DirHash.ofGoMod(goMod));
        assertEquals(47, DirHash.ofGoMod(goMod).length());
    }

    @Test
    void anyChangedByteChangesTheHash() throws IOException {
        assertNotEquals(
                DirHash.ofZip(zip("m@v1.0.0/a.go", "package a\n")), DirHash.ofZip(zip("m@v1.0.0/a.go", "package b\n")));
        assertNotEquals(
                DirHash.ofZip(zip("m@v1.0.0/a.go", "package a\n")), DirHash.ofZip(zip("m@v1.0.0/b.go", "package a\n")));
    }

    @Test
    void notAZipIsAnIoErrorNotAHash() throws IOException {
        Path junk = dir.resolve("junk.zip");
        Files.writeString(junk, "<html>502 Bad Gateway</html>");

        assertThrows(IOException.class, () -> DirHash.ofZip(junk));
    }

    private Path zip(String name, String content) throws IOException {
        Path zip = Files.createTempFile(dir, "m", ".zip");
        try (OutputStream out = Files.newOutputStream(zip);
                ZipOutputStream zipOut = new ZipOutputStream(out)) {
            zipOut.putNextEntry(new ZipEntry(name));
            zipOut.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return zip;
    }
}
