package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.storage.S3Storage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.gaul.s3proxy.junit.S3ProxyJunitCore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3-compatible server (s3proxy, in-process, in-memory blobs, on a free port). */
public final class S3Server implements AutoCloseable {

    private final S3ProxyJunitCore server;
    private final S3Client admin;

    public S3Server() throws Exception {
        server = new S3ProxyJunitCore.Builder()
                .withBlobStoreProvider("transient")
                .withCredentials("modproxy-test", "modproxy-test-secret")
                .build();
        server.beforeEach();
        admin = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.US_EAST_1)
                .endpointOverride(endpoint())
                .forcePathStyle(true)
                .credentialsProvider(credentials())
                .build();
    }

    public URI endpoint() {
        return server.getUri();
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(
                AwsBasicCredentials.create(server.getAccessKey(), server.getSecretKey()));
    }

    public void createBucket(String bucket) {
        admin.createBucket(r -> r.bucket(bucket));
    }

    /** Every object name in the bucket, as another client sees it. */
    public java.util.List<String> objectNames(String bucket) {
        return admin.listObjectsV2Paginator(r -> r.bucket(bucket)).contents().stream()
                .map(o -> o.key())
                .sorted()
                .toList();
    }

    /** The object's bytes, as another client reads them. */
    public byte[] bytesOf(String bucket, String key) {
        return admin.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    }

    /**
     * Replaces the object's bytes and keeps its metadata, as damage in the store, an edit in place on a file-backed
     * server, or a copy that carries the metadata along would; {@code keepMetadata} false is a plain upload by
     * another tool.
     */
    public void alter(String bucket, String key, byte[] bytes, boolean keepMetadata) {
        java.util.Map<String, String> metadata =
                keepMetadata ? admin.headObject(r -> r.bucket(bucket).key(key)).metadata() : java.util.Map.of();
        admin.putObject(
                r -> r.bucket(bucket).key(key).metadata(metadata),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(bytes));
    }

    public S3Storage storage(String bucket, String prefix, Path staging) throws IOException {
        return new S3Storage(
                new S3Storage.Settings(Optional.of(endpoint()), bucket, prefix, "us-east-1", true),
                credentials(),
                staging);
    }

    @Override
    public void close() {
        admin.close();
        server.afterEach();
    }
}
