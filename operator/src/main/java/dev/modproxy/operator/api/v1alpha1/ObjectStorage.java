package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An S3-compatible bucket (MinIO, Ceph RGW, AWS S3, Aliyun OSS) that replicas share. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ObjectStorage {

    public static final String DEFAULT_ACCESS_KEY_ID_KEY = "AWS_ACCESS_KEY_ID";
    public static final String DEFAULT_SECRET_ACCESS_KEY_KEY = "AWS_SECRET_ACCESS_KEY";
    /** An S3 bucket name (3 to 63 characters), as S3 and MinIO take one. */
    public static final String BUCKET = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

    public static final String BUCKET_MESSAGE = "spec.objectStorage.bucket must be an S3 bucket name: 3 to 63 "
            + "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, e.g. go-modules";

    public static final String ENDPOINT_MESSAGE = "spec.objectStorage.endpoint must be an http(s) URL without spaces, "
            + "e.g. https://minio.storage.svc:9000; leave it out for AWS S3 of the region";

    /** The longest endpoint URL taken, for the rule's cost. */
    static final long ENDPOINT_MAX_LENGTH = 2048;

    @JsonPropertyDescription("S3 endpoint URL, e.g. https://minio.storage.svc:9000. Empty means AWS S3 of the region.")
    @Size(max = ENDPOINT_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'^https?://\\S+$')",
            message = ENDPOINT_MESSAGE,
            reason = "FieldValueInvalid")
    private String endpoint;

    @JsonPropertyDescription("Bucket that holds the cache.")
    @Required
    @Size(max = 63)
    @ValidationRule(value = "self.matches(r'" + BUCKET + "')", message = BUCKET_MESSAGE, reason = "FieldValueInvalid")
    private String bucket;

    @JsonPropertyDescription("Region of the bucket, e.g. us-east-1.")
    private String region;

    @JsonPropertyDescription("Key prefix inside the bucket, so several caches can share one bucket.")
    private String prefix;

    @JsonPropertyDescription("Bucket named in the URL path (MinIO, Ceph RGW) rather than in the host name "
            + "(AWS S3, Aliyun OSS: set false).")
    @Default("true")
    private Boolean pathStyle;

    @JsonPropertyDescription("Name of a Secret in the cache's namespace holding the bucket's access key. The "
            + "proxy pods read it as environment variables; it is never copied into the proxy's ConfigMap. "
            + "When empty, the proxy uses the S3 client's default credential chain (e.g. a workload identity).")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.objectStorage.credentialsSecret must be " + KubernetesSyntax.SECRET_NAME_WORDS
                    + ", e.g. s3-keys",
            reason = "FieldValueInvalid")
    private String credentialsSecret;

    @JsonPropertyDescription("Key in credentialsSecret that holds the access key id.")
    @Default(DEFAULT_ACCESS_KEY_ID_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.objectStorage.accessKeyIdKey must be a key of the Secret: "
                    + KubernetesSyntax.DATA_KEY_WORDS + ", e.g. " + DEFAULT_ACCESS_KEY_ID_KEY,
            reason = "FieldValueInvalid")
    private String accessKeyIdKey;

    @JsonPropertyDescription("Key in credentialsSecret that holds the secret access key.")
    @Default(DEFAULT_SECRET_ACCESS_KEY_KEY)
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DATA_KEY_RULE,
            message = "spec.objectStorage.secretAccessKeyKey must be a key of the Secret: "
                    + KubernetesSyntax.DATA_KEY_WORDS + ", e.g. " + DEFAULT_SECRET_ACCESS_KEY_KEY,
            reason = "FieldValueInvalid")
    private String secretAccessKeyKey;

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

    public Boolean getPathStyle() {
        return pathStyle;
    }

    public void setPathStyle(Boolean pathStyle) {
        this.pathStyle = pathStyle;
    }

    public String getAccessKeyIdKey() {
        return accessKeyIdKey;
    }

    public void setAccessKeyIdKey(String accessKeyIdKey) {
        this.accessKeyIdKey = accessKeyIdKey;
    }

    public String getSecretAccessKeyKey() {
        return secretAccessKeyKey;
    }

    public void setSecretAccessKeyKey(String secretAccessKeyKey) {
        this.secretAccessKeyKey = secretAccessKeyKey;
    }
}
