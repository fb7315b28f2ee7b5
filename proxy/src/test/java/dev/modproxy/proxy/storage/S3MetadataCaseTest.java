package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Review: HTTP header names are case-insensitive, and a server written in Go (or any Go reverse proxy in front of the
 * bucket: net/http canonicalises the names it reads) sends the user metadata as X-Amz-Meta-Modproxy-Sha256. The SDK
 * strips the prefix whatever its case but keeps the rest as sent, so metadata() holds "Modproxy-Sha256", the lookup of
 * "modproxy-sha256" finds nothing, and the altered object is served as one without a hash.
 */
class S3MetadataCaseTest {

    @TempDir
    Path staging;

    @Test
    void theStoredHashIsCheckedWhateverTheCaseTheServerGivesItsHeaderName() throws Exception {
        byte[] good = "{\"Version\":\"v1.0.0\",\"Time\":\"2024-01-01T00:00:00Z\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] altered = "not json at all\n".getBytes(StandardCharsets.UTF_8);
        String hash = HexFormat.of().formatHex(S3Storage.sha256().digest(good));
        try (CanonicalCaseBucket bucket = new CanonicalCaseBucket(altered, hash);
                S3Storage storage = new S3Storage(
                        new S3Storage.Settings(Optional.of(bucket.uri()), "b", "cache", "us-east-1", true),
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                        staging)) {
            assertThrows(
                    UnusableEntryException.class,
                    () -> storage.lookup(new StorageKey("example.com/a/@v/v1.0.0.info"))
                            .orElseThrow(),
                    "the altered .info is served: its hash, sent as X-Amz-Meta-Modproxy-Sha256, was not found");
        }
    }

    /** Answers every GET of an object with body and the hash under a Go-canonical header name; anything else 500. */
    private static final class CanonicalCaseBucket implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

        CanonicalCaseBucket(byte[] body, String hash) throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        try (Socket s = listener.accept()) {
                            String request = head(s.getInputStream());
                            boolean object = request.startsWith("GET /b/cache/");
                            OutputStream out = s.getOutputStream();
                            byte[] answer = object ? body : new byte[0];
                            String headers = (object ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 500 Internal Server Error\r\n")
                                    + "Content-Length: " + answer.length + "\r\n"
                                    + "Content-Type: application/octet-stream\r\n"
                                    + "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                                    + "Etag: \"0123\"\r\n"
                                    + (object ? "X-Amz-Meta-Modproxy-Sha256: " + hash + "\r\n" : "")
                                    + "Connection: close\r\n\r\n";
                            out.write(headers.getBytes(StandardCharsets.US_ASCII));
                            out.write(answer);
                            out.flush();
                        }
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static String head(InputStream in) throws IOException {
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            int matched = 0;
            for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                seen.write(b);
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            return seen.toString(StandardCharsets.US_ASCII);
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + listener.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
