package dev.modproxy.contract;

import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The settings the operator writes into a cache's ConfigMap and Deployment and the proxy reads. Each is a
 * configuration key ({@code modproxy.read-timeout}) and the environment variable derived from it the way
 * MicroProfile Config does ({@code MODPROXY_READ_TIMEOUT}); the operator sets the variables.
 */
public enum ProxySetting {
    /** GOPROXY syntax, read by {@link GoProxyList}. */
    UPSTREAM("modproxy.upstream"),
    /** GOSUMDB syntax. */
    SUMDB("modproxy.sumdb"),
    /** GONOSUMDB-style patterns, comma-separated; {@link ChecksumExemptions} adds the private ones. */
    NOSUMDB("modproxy.nosumdb"),
    /** GOPRIVATE-style patterns, comma-separated: answered 404, never sent upstream. */
    PRIVATE("modproxy.private"),
    SUMDB_REQUIRED("modproxy.sumdb-required"),
    /** A netrc file with logins for private upstreams. */
    NETRC("modproxy.netrc"),
    /** A PEM file of certificate authorities trusted besides the JVM's for upstreams and the checksum database. */
    UPSTREAM_CA_FILE("modproxy.upstream-ca-file"),
    STORAGE_DIR("modproxy.storage-dir"),
    /** {@code disk} or {@code s3}. */
    STORAGE_TYPE("modproxy.storage-type"),
    S3_BUCKET("modproxy.s3.bucket"),
    S3_ENDPOINT("modproxy.s3.endpoint"),
    S3_REGION("modproxy.s3.region"),
    S3_PREFIX("modproxy.s3.prefix"),
    S3_PATH_STYLE("modproxy.s3.path-style"),
    EVICTION_HIGH_WATERMARK("modproxy.eviction.high-watermark"),
    EVICTION_LOW_WATERMARK("modproxy.eviction.low-watermark"),
    MUTABLE_TTL("modproxy.mutable-ttl"),
    NEGATIVE_TTL("modproxy.negative-ttl"),
    CONNECT_TIMEOUT("modproxy.connect-timeout"),
    READ_TIMEOUT("modproxy.read-timeout"),
    MEMORY_CACHE_SIZE("modproxy.memory-cache-size"),
    /** Quarkus's own: the port build pods use. */
    HTTP_PORT("quarkus.http.port"),
    HTTP_HOST("quarkus.http.host"),
    /** Quarkus's own: the port of /admin, metrics and health. */
    MANAGEMENT_PORT("quarkus.management.port"),
    MANAGEMENT_HOST("quarkus.management.host");

    private final String key;

    ProxySetting(String key) {
        this.key = key;
    }

    /** The configuration key, e.g. {@code modproxy.eviction.high-watermark}. */
    public String key() {
        return key;
    }

    /** The environment variable, e.g. {@code MODPROXY_EVICTION_HIGH_WATERMARK}. */
    public String env() {
        return environmentName(key);
    }

    /** Whether the proxy itself defines it (rather than Quarkus). */
    public boolean proxyOwn() {
        return key.startsWith("modproxy.");
    }

    public static Optional<ProxySetting> byEnv(String name) {
        return Stream.of(values()).filter(s -> s.env().equals(name)).findFirst();
    }

    /**
     * MicroProfile Config's rule: every character but letters and digits becomes '_', then upper case. SmallRye
     * Config's environment source gives a property the value of every variable whose name this rule maps to the same
     * text as the property's ({@code modproxy.upstream}, {@code modproxy_upstream} and {@code MODPROXY_UPSTREAM} all
     * set modproxy.upstream), so a name must be read through it before it is compared with a setting's.
     */
    public static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
