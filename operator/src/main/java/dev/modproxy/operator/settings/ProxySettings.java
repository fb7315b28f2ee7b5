package dev.modproxy.operator.settings;

import dev.modproxy.contract.ProxySetting;
import dev.modproxy.contract.SettingValueRule;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.Storage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The proxy's environment as rendered from a spec: the ConfigMap's data and the hash that rolls pods. */
public final class ProxySettings {

    public static final String STORAGE_DIR = "/var/cache/modproxy";
    public static final int HTTP_PORT = 8080;
    public static final int MANAGEMENT_PORT = 9000;
    /** Where the proxy pods find the netrc of spec.upstreamCredentials (a Secret volume). */
    public static final String CREDENTIALS_DIR = "/etc/modproxy/upstream-credentials";

    public static final String NETRC_FILE = "netrc";

    /** Where the proxy pods find the CA certificates of spec.upstreamCA (a Secret or ConfigMap volume). */
    public static final String UPSTREAM_CA_DIR = "/etc/modproxy/upstream-ca";

    public static final String UPSTREAM_CA_FILE = "ca.crt";

    /**
     * The variable the kubelet sets from spec.egressProxy.loginSecretRef's Secret; HTTPS_PROXY and HTTP_PROXY then
     * refer to it (see {@link #egressProxyUrlWithLogin}). Not MODPROXY_*: the proxy reads no such setting and would
     * warn about an unknown one.
     */
    public static final String EGRESS_PROXY_LOGIN = "EGRESS_PROXY_LOGIN";

    /**
     * The JVM options both proxy images set in JAVA_TOOL_OPTIONS (proxy/Dockerfile, the Jib configuration in the
     * parent pom). A pod's variable replaces the image's, so spec.proxy.jvmOptions is rendered after these: the JVM
     * keeps the last of repeated options, which lets a user's option override one of ours and keeps the rest.
     * TrimNativeHeapInterval: the JVM hands the C allocator's freed memory back to the kernel every second; a cold
     * build's zip checks and downloads on some two hundred threads otherwise leave about 20 MiB of freed blocks
     * resident (docs/benchmarks.md, "Memory in a cold build and in a churned memory cache"). The images also set
     * MALLOC_ARENA_MAX=2.
     */
    public static final String IMAGE_JVM_OPTIONS = "-XX:+UseG1GC -XX:MaxRAMPercentage=12.5"
            + " -XX:TrimNativeHeapInterval=1000 -Djdk.nio.maxCachedBufferSize=262144 -Djava.io.tmpdir=/tmp";

    /**
     * Every variable the operator sets on the proxy container, and the field a user sets it with instead of
     * spec.proxy.env; the CRD refuses these names in spec.proxy.env (CrdConventions) and so does SpecProblems.
     */
    /** In OWNED_VARIABLES: a variable no field changes. */
    private static final String NO_FIELD = "";

    public static final Map<String, String> OWNED_VARIABLES = owned();

    private static final Map<String, Pattern> OWNED_VARIABLE_PATTERNS = namePatterns(OWNED_VARIABLES.keySet());

    /** Every MODPROXY_* variable the proxy reads, each with the names the proxy reads as it. */
    private static final Map<String, Pattern> SETTING_VARIABLE_PATTERNS =
            namePatterns(new TreeSet<>(SettingValueRule.variables()));

    private final Map<String, String> env;

    private ProxySettings(Map<String, String> env) {
        this.env = Collections.unmodifiableMap(env);
    }

    public static ProxySettings of(GoProxyCacheSpec spec) {
        Map<String, String> env = new TreeMap<>();
        env.put(ProxySetting.UPSTREAM.env(), valueOr(spec.getUpstream(), GoProxyCacheSpec.DEFAULT_UPSTREAM));
        env.put(ProxySetting.SUMDB.env(), valueOr(spec.getSumdb(), GoProxyCacheSpec.DEFAULT_SUMDB));
        putPatterns(env, ProxySetting.NOSUMDB.env(), spec.getNoSumDB());
        putPatterns(env, ProxySetting.PRIVATE.env(), spec.getPrivate());
        // with object storage this directory only stages uploads until they are complete
        env.put(ProxySetting.STORAGE_DIR.env(), STORAGE_DIR);
        putObjectStorage(env, spec.getObjectStorage());
        putWatermarks(env, spec.getStorage());
        putEgressProxy(env, spec.getEgressProxy());
        putTuning(env, spec.getProxy());
        if (spec.getUpstreamCredentials() != null) {
            // the path only: the logins stay in their Secret
            env.put(ProxySetting.NETRC.env(), CREDENTIALS_DIR + "/" + NETRC_FILE);
        }
        if (spec.getUpstreamCA() != null) {
            // the path only: the kubelet mounts the certificates, the operator never reads them
            env.put(ProxySetting.UPSTREAM_CA_FILE.env(), UPSTREAM_CA_DIR + "/" + UPSTREAM_CA_FILE);
        }
        env.put(ProxySetting.HTTP_PORT.env(), Integer.toString(HTTP_PORT));
        env.put(ProxySetting.MANAGEMENT_PORT.env(), Integer.toString(MANAGEMENT_PORT));
        // the proxy listens on 127.0.0.1 unless told otherwise (a laptop run); a pod is reached from outside
        env.put(ProxySetting.HTTP_HOST.env(), "0.0.0.0");
        env.put(ProxySetting.MANAGEMENT_HOST.env(), "0.0.0.0");
        return new ProxySettings(env);
    }

    private static Map<String, String> owned() {
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put(ProxySetting.UPSTREAM.env(), "spec.upstream");
        owned.put(ProxySetting.SUMDB.env(), "spec.sumdb");
        owned.put(ProxySetting.NOSUMDB.env(), "spec.noSumDB");
        owned.put(ProxySetting.PRIVATE.env(), "spec.private");
        String volume = "spec.storage (the operator mounts the cache there)";
        owned.put(ProxySetting.STORAGE_DIR.env(), volume);
        owned.put(ProxySetting.STORAGE_TYPE.env(), "spec.objectStorage");
        for (ProxySetting s3 : List.of(
                ProxySetting.S3_BUCKET,
                ProxySetting.S3_ENDPOINT,
                ProxySetting.S3_REGION,
                ProxySetting.S3_PREFIX,
                ProxySetting.S3_PATH_STYLE)) {
            owned.put(s3.env(), "spec.objectStorage");
        }
        owned.put("AWS_ACCESS_KEY_ID", "spec.objectStorage.credentialsSecret");
        owned.put("AWS_SECRET_ACCESS_KEY", "spec.objectStorage.credentialsSecret");
        owned.put(ProxySetting.EVICTION_HIGH_WATERMARK.env(), "spec.storage.highWatermark");
        owned.put(ProxySetting.EVICTION_LOW_WATERMARK.env(), "spec.storage.lowWatermark");
        owned.put("HTTPS_PROXY", "spec.egressProxy.httpsProxy");
        owned.put("HTTP_PROXY", "spec.egressProxy.httpProxy");
        owned.put("NO_PROXY", "spec.egressProxy.noProxy");
        owned.put(EGRESS_PROXY_LOGIN, "spec.egressProxy.loginSecretRef");
        owned.put(ProxySetting.MUTABLE_TTL.env(), "spec.proxy.mutableTtl");
        owned.put(ProxySetting.NEGATIVE_TTL.env(), "spec.proxy.negativeTtl");
        owned.put(ProxySetting.CONNECT_TIMEOUT.env(), "spec.proxy.connectTimeout");
        owned.put(ProxySetting.READ_TIMEOUT.env(), "spec.proxy.readTimeout");
        owned.put(ProxySetting.SUMDB_REQUIRED.env(), "spec.proxy.sumdbRequired");
        owned.put(ProxySetting.MEMORY_CACHE_SIZE.env(), "spec.proxy.memoryCacheSize");
        owned.put("JAVA_TOOL_OPTIONS", "spec.proxy.jvmOptions");
        owned.put(ProxySetting.NETRC.env(), "spec.upstreamCredentials");
        owned.put(ProxySetting.UPSTREAM_CA_FILE.env(), "spec.upstreamCA");
        // the Service, the probes and the NetworkPolicy are built around these
        owned.put(ProxySetting.HTTP_PORT.env(), NO_FIELD);
        owned.put(ProxySetting.MANAGEMENT_PORT.env(), NO_FIELD);
        owned.put(ProxySetting.HTTP_HOST.env(), NO_FIELD);
        owned.put(ProxySetting.MANAGEMENT_HOST.env(), NO_FIELD);
        return Collections.unmodifiableMap(owned);
    }

    /**
     * The variable of {@link #OWNED_VARIABLES} that a variable called {@code name} would set, if any. The proxy's
     * configuration (SmallRye Config's environment source) gives a setting the value of every variable whose name
     * maps to the setting's by {@link ProxySetting#environmentName} ({@code modproxy.upstream},
     * {@code modproxy_upstream}), and prefers those to the upper-case one the operator sets; it reads
     * {@code _PROD_MODPROXY_UPSTREAM} or {@code %prod.modproxy.upstream} for the profile the proxy runs in before
     * either; and EgressProxy reads a lower-case https_proxy too. So a name is compared mapped, after any profile
     * prefix, by {@link #ownedVariablePattern}, the CRD's rule on spec.proxy.env.
     */
    public static Optional<String> ownedVariable(String name) {
        return readAs(name, OWNED_VARIABLE_PATTERNS);
    }

    /**
     * The MODPROXY_* setting of the proxy (one {@link SettingValueRule} rules) that a variable called {@code name}
     * would set, if any, with names compared as {@link #ownedVariable} compares them: {@code modproxy.prefetch} sets
     * MODPROXY_PREFETCH.
     */
    public static Optional<String> settingVariable(String name) {
        return readAs(name, SETTING_VARIABLE_PATTERNS);
    }

    private static Optional<String> readAs(String name, Map<String, Pattern> patterns) {
        if (name == null) {
            return Optional.empty();
        }
        return patterns.entrySet().stream()
                .filter(variable -> variable.getValue().matcher(name).matches())
                .map(Map.Entry::getKey)
                .findFirst();
    }

    private static Map<String, Pattern> namePatterns(Collection<String> variables) {
        return variables.stream()
                .collect(Collectors.toMap(
                        variable -> variable,
                        variable -> Pattern.compile(ownedVariablePattern(variable)),
                        (a, b) -> a,
                        LinkedHashMap::new));
    }

    /**
     * The names {@link #ownedVariable} reads as {@code owned}, as a regular expression RE2 (the CRD's) and
     * java.util.regex read alike: those whose {@link ProxySetting#environmentName} is {@code owned} (letters in either
     * case, any character but a letter or digit where {@code owned} has '_'), after an optional profile prefix (a
     * first character that is no letter or digit, then up to one that is none either).
     */
    public static String ownedVariablePattern(String owned) {
        StringBuilder pattern = new StringBuilder("^([^A-Za-z0-9](.*[^A-Za-z0-9])?)?");
        for (char c : owned.toCharArray()) {
            pattern.append(
                    Character.isLetter(c)
                            ? "[" + Character.toUpperCase(c) + Character.toLowerCase(c) + "]"
                            : Character.isDigit(c) ? String.valueOf(c) : "[^A-Za-z0-9]");
        }
        return pattern.append('$').toString();
    }

    /** What a user reads when spec.proxy.env names a variable the operator sets, as {@code written}. */
    public static String ownedVariableMessage(String owned, String written) {
        return ownedVariableMessage(owned, written.equals(owned) ? owned : written + " (read as " + owned + ")", "");
    }

    /** The CRD's message for any name {@link #ownedVariablePattern} takes for {@code owned}. */
    public static String ownedVariableMessage(String owned) {
        String spelling = owned.toLowerCase(Locale.ROOT);
        return ownedVariableMessage(
                owned,
                owned,
                " nor a name the proxy reads as it (" + spelling + ", " + spelling.replace('_', '.') + ")");
    }

    private static String ownedVariableMessage(String owned, String name, String alsoRefused) {
        String field = OWNED_VARIABLES.get(owned);
        return NO_FIELD.equals(field)
                ? "spec.proxy.env cannot set " + name + alsoRefused
                        + ": the operator fixes it, its Service and probes depend on it"
                : "spec.proxy.env cannot set " + name + alsoRefused + ": set " + field + " instead";
    }

    /** Bucket coordinates only: the credentials reach the pods from their Secret, never through this map. */
    private static void putObjectStorage(Map<String, String> env, ObjectStorage bucket) {
        if (bucket == null) {
            return;
        }
        env.put(ProxySetting.STORAGE_TYPE.env(), "s3");
        env.put(ProxySetting.S3_BUCKET.env(), bucket.getBucket());
        putIfSet(env, ProxySetting.S3_ENDPOINT.env(), bucket.getEndpoint());
        putIfSet(env, ProxySetting.S3_REGION.env(), bucket.getRegion());
        putIfSet(env, ProxySetting.S3_PREFIX.env(), bucket.getPrefix());
        env.put(
                ProxySetting.S3_PATH_STYLE.env(),
                Boolean.toString(bucket.getPathStyle() == null || bucket.getPathStyle()));
    }

    private static void putTuning(Map<String, String> env, ProxyTuning tuning) {
        if (tuning == null) {
            return;
        }
        putIfSet(env, ProxySetting.MUTABLE_TTL.env(), tuning.getMutableTtl());
        putIfSet(env, ProxySetting.NEGATIVE_TTL.env(), tuning.getNegativeTtl());
        putIfSet(env, ProxySetting.CONNECT_TIMEOUT.env(), tuning.getConnectTimeout());
        putIfSet(env, ProxySetting.READ_TIMEOUT.env(), tuning.getReadTimeout());
        if (tuning.getSumdbRequired() != null) {
            env.put(ProxySetting.SUMDB_REQUIRED.env(), tuning.getSumdbRequired().toString());
        }
        putIfSet(env, ProxySetting.MEMORY_CACHE_SIZE.env(), tuning.getMemoryCacheSize());
        if (tuning.getJvmOptions() != null && !tuning.getJvmOptions().isBlank()) {
            env.put(
                    "JAVA_TOOL_OPTIONS",
                    IMAGE_JVM_OPTIONS + " " + tuning.getJvmOptions().strip());
        }
    }

    /**
     * With a login the proxy addresses are the pod's own env (ProxyDeploymentDependent), where the kubelet composes
     * the login in: a ConfigMap's values reach the container as they are, and a second, login-less HTTPS_PROXY here
     * would only mislead whoever reads the ConfigMap.
     */
    private static void putEgressProxy(Map<String, String> env, EgressProxy egress) {
        if (egress == null) {
            return;
        }
        if (egress.getLoginSecretRef() == null) {
            putIfSet(env, "HTTPS_PROXY", egress.getHttpsProxy());
            putIfSet(env, "HTTP_PROXY", egress.getHttpProxy());
        }
        putPatterns(env, "NO_PROXY", egress.getNoProxy());
    }

    /**
     * {@code proxyUrl} (a spec.egressProxy address: no userinfo, no path) with {@code $(EGRESS_PROXY_LOGIN)@} before
     * its host, for an env {@code value} the kubelet expands: {@code proxy.corp:3128} becomes
     * {@code http://$(EGRESS_PROXY_LOGIN)@proxy.corp:3128}. The go command's default scheme, http://, is written out,
     * since {@code user:password@host} alone reads as a URL of scheme {@code user}. Any {@code $} of the address is
     * doubled, so that the kubelet expands only the login's reference.
     */
    public static String egressProxyUrlWithLogin(String proxyUrl) {
        String url = proxyUrl.strip();
        int scheme = url.indexOf("://");
        String prefix = scheme < 0 ? "http://" : url.substring(0, scheme + 3);
        String rest = scheme < 0 ? url : url.substring(scheme + 3);
        return prefix + "$(" + EGRESS_PROXY_LOGIN + ")@" + rest.replace("$", "$$");
    }

    private static void putWatermarks(Map<String, String> env, Storage storage) {
        if (storage == null) {
            return;
        }
        if (storage.getHighWatermark() != null) {
            env.put(ProxySetting.EVICTION_HIGH_WATERMARK.env(), storage.getHighWatermark() + "%");
        }
        if (storage.getLowWatermark() != null) {
            env.put(ProxySetting.EVICTION_LOW_WATERMARK.env(), storage.getLowWatermark() + "%");
        }
    }

    private static void putIfSet(Map<String, String> env, String key, String value) {
        if (value != null && !value.isBlank()) {
            env.put(key, value);
        }
    }

    public Map<String, String> env() {
        return env;
    }

    /** Stable digest of the rendered settings; equal settings give equal hashes whatever the map order. */
    public String hash() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        env.forEach((k, v) -> {
            bytes.writeBytes(k.getBytes(StandardCharsets.UTF_8));
            bytes.write(0);
            bytes.writeBytes(v.getBytes(StandardCharsets.UTF_8));
            bytes.write(0);
        });
        return ShortDigest.of(bytes.toByteArray());
    }

    private static void putPatterns(Map<String, String> env, String key, List<String> patterns) {
        if (patterns != null && !patterns.isEmpty()) {
            env.put(key, String.join(",", patterns));
        }
    }

    private static String valueOr(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
