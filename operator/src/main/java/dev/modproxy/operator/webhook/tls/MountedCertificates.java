package dev.modproxy.operator.webhook.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * cert-manager mode: the Secret is issued by cert-manager and mounted as files; the API server
 * learns the CA from cert-manager's CA injector, so nothing is written back.
 */
public final class MountedCertificates implements CertificateSource {

    private final Path directory;

    public MountedCertificates(Path directory) {
        this.directory = directory;
    }

    @Override
    public WebhookCertificate current() {
        String certificate = read("tls.crt");
        String key = read("tls.key");
        Path ca = directory.resolve("ca.crt");
        WebhookCertificate loaded =
                new WebhookCertificate(Files.isReadable(ca) ? read("ca.crt") : null, null, certificate, key);
        // parse now, so a half-written rotation is rejected before it reaches the server
        loaded.certificate();
        loaded.key();
        return loaded;
    }

    private String read(String file) {
        Path path = directory.resolve(file);
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read mounted webhook certificate " + path, e);
        }
    }
}
