package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.List;

/** The proxy's own settings that are not about where modules come from; unset ones keep the proxy's defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProxyTuning {

    /** A duration as the proxy reads it: 30s, 5m, 1h (or an ISO-8601 PT30S). */
    static final String DURATION = "^([0-9]+(ms|s|m|h|d)|P[0-9A-Z.]+)$";

    @JsonPropertyDescription("How long list, @latest and branch/commit .info answers are fresh before the proxy asks "
            + "the upstream again (MODPROXY_MUTABLE_TTL, default 5m).")
    @Pattern(DURATION)
    private String mutableTtl;

    @JsonPropertyDescription("How long a 404/410 from the whole upstream chain, or an upstream's 403, is remembered "
            + "(MODPROXY_NEGATIVE_TTL, default 1m).")
    @Pattern(DURATION)
    private String negativeTtl;

    @JsonPropertyDescription("Time to connect to an upstream (MODPROXY_CONNECT_TIMEOUT, default 5s).")
    @Pattern(DURATION)
    private String connectTimeout;

    @JsonPropertyDescription("Longest wait for an upstream's response headers and for each gap between body bytes "
            + "(MODPROXY_READ_TIMEOUT, default 30s).")
    @Pattern(DURATION)
    private String readTimeout;

    @JsonPropertyDescription("Refuse a module when no source of the checksum database answers at all, instead of "
            + "caching it unverified (MODPROXY_SUMDB_REQUIRED, default false).")
    private Boolean sumdbRequired;

    @JsonPropertyDescription(
            "Memory outside the heap for small immutable artifacts (.info, .mod, zips up to 64 KiB) served "
                    + "without touching the storage, a quantity such as 32Mi, at most half of the JVM's direct memory "
                    + "(by default its heap size); 0 turns it off, and with it the mapping of zips up to 4 MiB from "
                    + "their files (MODPROXY_MEMORY_CACHE_SIZE, default 32Mi).")
    @Pattern(Storage.QUANTITY)
    private String memoryCacheSize;

    @JsonPropertyDescription("Extra JVM options for the proxy container, e.g. '-XX:MaxRAMPercentage=70 -Xss512k'. "
            + "They are appended to the image's own JAVA_TOOL_OPTIONS (-XX:+UseG1GC -XX:MaxRAMPercentage=12.5 "
            + "-Djdk.nio.maxCachedBufferSize=262144 -Djava.io.tmpdir=/tmp), so those stay unless an option here "
            + "overrides them (the last one wins). When empty, the image's options alone.")
    @Pattern("^[^\\n\\r]*$")
    private String jvmOptions;

    @JsonPropertyDescription("Extra environment variables of the proxy container, for proxy settings without a field "
            + "here (e.g. QUARKUS_LOG_LEVEL); a value may come from a Secret or ConfigMap (valueFrom). A variable "
            + "that a field sets is refused with the name of that field (MODPROXY_UPSTREAM: spec.upstream, "
            + "JAVA_TOOL_OPTIONS: spec.proxy.jvmOptions, ...).")
    @Size(max = 64)
    private List<EnvVar> env = new ArrayList<>();

    public String getMutableTtl() {
        return mutableTtl;
    }

    public void setMutableTtl(String mutableTtl) {
        this.mutableTtl = mutableTtl;
    }

    public String getNegativeTtl() {
        return negativeTtl;
    }

    public void setNegativeTtl(String negativeTtl) {
        this.negativeTtl = negativeTtl;
    }

    public String getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(String connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public String getReadTimeout() {
        return readTimeout;
    }

    public void setReadTimeout(String readTimeout) {
        this.readTimeout = readTimeout;
    }

    public Boolean getSumdbRequired() {
        return sumdbRequired;
    }

    public void setSumdbRequired(Boolean sumdbRequired) {
        this.sumdbRequired = sumdbRequired;
    }

    public List<EnvVar> getEnv() {
        return env;
    }

    public void setEnv(List<EnvVar> env) {
        this.env = env;
    }

    public String getJvmOptions() {
        return jvmOptions;
    }

    public void setJvmOptions(String jvmOptions) {
        this.jvmOptions = jvmOptions;
    }

    public String getMemoryCacheSize() {
        return memoryCacheSize;
    }

    public void setMemoryCacheSize(String memoryCacheSize) {
        this.memoryCacheSize = memoryCacheSize;
    }
}
