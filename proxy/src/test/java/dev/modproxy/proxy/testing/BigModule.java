package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** A valid module zip large enough that serving it takes many socket buffers. */
public final class BigModule {

    private BigModule() {}

    public static byte[] zip(String path, String version, int payloadBytes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(payloadBytes + 4096);
        byte[] payload = new byte[payloadBytes];
        new Random(42).nextBytes(payload);
        String prefix = path + "@" + version + "/";
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.setLevel(0);
            zip.putNextEntry(new ZipEntry(prefix + "go.mod"));
            zip.write(Modules.goMod(path).getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(prefix + "data.bin"));
            zip.write(payload);
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
