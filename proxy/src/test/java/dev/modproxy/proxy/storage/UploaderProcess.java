package dev.modproxy.proxy.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** Run in a child JVM: stores one large object through S3Storage, so the test can kill it mid-upload. */
public final class UploaderProcess {

    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        String bucket = args[1];
        Path staging = Path.of(args[2]);
        int size = Integer.parseInt(args[3]);
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(args[4], args[5]));
        S3Storage storage = new S3Storage(
                new S3Storage.Settings(Optional.of(endpoint), bucket, "", "us-east-1", true), credentials, staging);
        try (StorageWriter writer = storage.openWriter(new StorageKey(args[6]))) {
            writer.output().write(new byte[size]);
            System.out.println("uploading");
            System.out.flush();
            writer.commit();
        }
        System.out.println("uploaded");
    }
}
