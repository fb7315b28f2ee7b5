package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** An S3-compatible bucket (MinIO, Ceph RGW, AWS S3, Aliyun OSS) that replicas share. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ObjectStorage {

    @JsonPropertyDescription("S3 endpoint URL, e.g. https://minio.storage.svc:9000. Empty means AWS S3 of the region.")
    @Pattern("^https?://\\S+$")
    private String endpoint;

    @JsonPropertyDescription("Bucket that holds the cache.")
    @Required
    @Pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    private String bucket;

    @JsonPropertyDescription("Region of the bucket, e.g. us-east-1.")
    private String region;

    @JsonPropertyDescription("Key prefix inside the bucket, so several caches can share one bucket.")
    private String prefix;

    @JsonPropertyDescription("Name of a Secret in the cache's namespace with keys AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY.")
    private String credentialsSecret;

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getBucket() {
        return bucket;
    }

    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    public String getRegion() {
        return region;
    }

    public void setRegion(String region) {
        this.region = region;
    }

    public String getPrefix() {
        return prefix;
    }

    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    public String getCredentialsSecret() {
        return credentialsSecret;
    }

    public void setCredentialsSecret(String credentialsSecret) {
        this.credentialsSecret = credentialsSecret;
    }
}
