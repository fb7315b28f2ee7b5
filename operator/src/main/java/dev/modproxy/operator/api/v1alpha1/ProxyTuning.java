package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.contract.ByteSize;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.List;

/** The proxy's own settings that are not about where modules come from; unset ones keep the proxy's defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProxyTuning {

    /** Seconds of an ISO-8601 duration, with up to nine decimals, as java.time.Duration reads them. */
    private static final String ISO_SECONDS = "[0-9]+([.,][0-9]{0,9})?S";
    /** The time part of an ISO-8601 duration: T and at least one of hours, minutes, seconds, in that order. */
    private static final String ISO_TIME =
            "T([0-9]+H([0-9]+M)?(" + ISO_SECONDS + ")?|[0-9]+M(" + ISO_SECONDS + ")?|" + ISO_SECONDS + ")";

    /**
     * A duration the proxy reads (the contract's ProxyDuration, Quarkus's rule; SpecProblems reads it by the same): a whole number with
     * ms, s, m, h or d (30s, 5m), or an ISO-8601 duration java.time.Duration parses (PT30S, P1DT12H), unsigned. The
     * earlier pattern took P and any capitals (PXQ), which stopped the proxy at start.
     */
    public static final String DURATION = "^([0-9]+(ms|s|m|h|d)|P([0-9]+D(" + ISO_TIME + ")?|" + ISO_TIME + "))$";

    /**
     * {@link #DURATION} as a CEL rule rather than the schema's pattern, whose refusal would print its 300 characters;
     * a raw string, so the regex reaches RE2 as written.
     */
    static final String DURATION_RULE = "self.matches(r'" + DURATION + "')";

    /** What {@link #DURATION_RULE} takes, in words, after the field's name. */
    static final String DURATION_WORDS =
            " must be a duration: a whole number with ms, s, m, h or d (500ms, 30s, 5m), or "
                    + "an ISO-8601 duration (PT30S, P1DT12H)";

    /** The longest duration taken: the API server prices a rule by the longest value it may see. */
    static final long DURATION_MAX_LENGTH = 64;

    /**
     * The longest name spec.proxy.env takes. The API server prices the CRD's rules on those names by the longest
     * name it may see, and refuses rules it cannot bound.
     */
    public static final long ENV_NAME_MAX_LENGTH = 256;

    /*
     * What a container takes in an env entry, checked on the GoProxyCache: the API server refused the proxy Deployment
     * over each of them, and the cache's Degraded condition quoted the Deployment's field
     * (spec.template.spec.containers[0].env[0].name), not the cache's.
     */

    /** A variable name as Kubernetes takes it (1.34 on; earlier it took fewer): printable ASCII other than '='. */
    public static final String ENV_NAME_PATTERN = "^[ -<>-~]+$";

    public static final String ENV_NAME_MESSAGE =
            "spec.proxy.env names must each be printable ASCII characters other than '=', e.g. QUARKUS_LOG_LEVEL";

    public static final String ENV_VALUE_OR_SOURCE_MESSAGE = "spec.proxy.env entries take a value or a valueFrom, "
            + "not both, e.g. {name: S3_TOKEN, valueFrom: {secretKeyRef: {name: s3-token, key: token}}}";

    public static final String ENV_ONE_SOURCE_MESSAGE = "spec.proxy.env valueFrom takes exactly one of "
            + "configMapKeyRef, fieldRef, resourceFieldRef and secretKeyRef, e.g. {secretKeyRef: {name: s3-token, "
            + "key: token}}";

    /**
     * The JVM options on one line, said in words: the schema's pattern refused a line break by printing its regex,
     * '^[^\n\r]*$', alone.
     */
    public static final String JVM_OPTIONS_ONE_LINE_MESSAGE = "spec.proxy.jvmOptions must be one line, without line "
            + "breaks: JVM options separated by spaces, e.g. '-XX:MaxRAMPercentage=70 -Xss512k'";

    /** What the proxy reads as a byte size, in words (the pattern's refusal printed the regex). */
    public static final String MEMORY_CACHE_SIZE_MESSAGE = "spec.proxy.memoryCacheSize must be a whole number of "
            + "bytes with an optional K, M, G or T, decimal or binary (Ki, Mi, Gi, Ti), e.g. 32Mi or 1G; 0 turns the "
            + "memory cache off. No fractions, exponents, E or P";

    /** The longest byte size taken: the API server prices the rule by the longest value it may see. */
    static final long SIZE_MAX_LENGTH = 64;

    /** The longest jvmOptions taken: the API server prices the rule by the longest value it may see. */
    static final long JVM_OPTIONS_MAX_LENGTH = 4096;

    @JsonPropertyDescription("How long list, @latest and branch/commit .info answers are fresh before the proxy asks "
            + "the upstream again (MODPROXY_MUTABLE_TTL, default 5m).")
    @Size(max = DURATION_MAX_LENGTH)
    @ValidationRule(
            value = DURATION_RULE,
            message = "spec.proxy.mutableTtl" + DURATION_WORDS,
            reason = "FieldValueInvalid")
    private String mutableTtl;

    @JsonPropertyDescription("How long a 404/410 from the whole upstream chain, an upstream's 403, or a refusal of "
            + "what an answer holds (a checksum the database contradicts, a broken zip) is remembered "
            + "(MODPROXY_NEGATIVE_TTL, default 1m).")
    @Size(max = DURATION_MAX_LENGTH)
    @ValidationRule(
            value = DURATION_RULE,
            message = "spec.proxy.negativeTtl" + DURATION_WORDS,
            reason = "FieldValueInvalid")
    private String negativeTtl;

    @JsonPropertyDescription("Time to connect to an upstream, more than 0 (MODPROXY_CONNECT_TIMEOUT, default 5s).")
    @Size(max = DURATION_MAX_LENGTH)
    @ValidationRule(
            value = DURATION_RULE,
            message = "spec.proxy.connectTimeout" + DURATION_WORDS,
            reason = "FieldValueInvalid")
    private String connectTimeout;

    @JsonPropertyDescription("Longest wait for an upstream's response headers and for each gap between body bytes "
            + "(MODPROXY_READ_TIMEOUT, default 30s), more than 0.")
    @Size(max = DURATION_MAX_LENGTH)
    @ValidationRule(
            value = DURATION_RULE,
            message = "spec.proxy.readTimeout" + DURATION_WORDS,
            reason = "FieldValueInvalid")
    private String readTimeout;

    @JsonPropertyDescription("Refuse a module when no source of the checksum database answers at all, instead of "
            + "caching it unverified (MODPROXY_SUMDB_REQUIRED, default false).")
    private Boolean sumdbRequired;

    @JsonPropertyDescription(
            "Memory outside the heap for small immutable artifacts (.info, .mod, zips up to 64 KiB) served "
                    + "without touching the storage, a quantity such as 32Mi, at most half of the JVM's direct memory "
                    + "(by default its heap size); 0 turns it off, and with it the mapping of zips up to 4 MiB from "
                    + "their files (MODPROXY_MEMORY_CACHE_SIZE, default 32Mi). A whole number of bytes with an "
                    + "optional K, M, G or T, decimal or binary (Ki, Mi, Gi, Ti): no fractions, exponents or E/P.")
    @Size(max = SIZE_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + ByteSize.PATTERN + "')",
            message = MEMORY_CACHE_SIZE_MESSAGE,
            reason = "FieldValueInvalid")
    private String memoryCacheSize;

    @JsonPropertyDescription("Extra JVM options for the proxy container, e.g. '-XX:MaxRAMPercentage=70 -Xss512k'. "
            + "They are appended to the image's own JAVA_TOOL_OPTIONS (-XX:+UseG1GC -XX:MaxRAMPercentage=12.5 "
            + "-XX:TrimNativeHeapInterval=1000 -Djdk.nio.maxCachedBufferSize=262144 -Djava.io.tmpdir=/tmp), so those stay unless an option here "
            + "overrides them (the last one wins). When empty, the image's options alone.")
    @Size(max = JVM_OPTIONS_MAX_LENGTH)
    @ValidationRule(
            value = "!self.contains('\\n') && !self.contains('\\r')",
            message = JVM_OPTIONS_ONE_LINE_MESSAGE,
            reason = "FieldValueInvalid")
    private String jvmOptions;

    @JsonPropertyDescription("Extra environment variables of the proxy container, for proxy settings without a field "
            + "here (e.g. QUARKUS_LOG_LEVEL); a value may come from a Secret or ConfigMap (valueFrom). A variable "
            + "that a field sets is refused with the name of that field (MODPROXY_UPSTREAM: spec.upstream, "
            + "JAVA_TOOL_OPTIONS: spec.proxy.jvmOptions, ...), under any spelling the proxy reads as it too "
            + "(modproxy.upstream, modproxy_upstream).")
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
