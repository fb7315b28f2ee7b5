package dev.modproxy.operator.settings;

import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The proxy's environment as rendered from a spec: the ConfigMap's data and the hash that rolls pods. */
public final class ProxySettings {

    public static final String STORAGE_DIR = "/var/cache/modproxy";
    public static final int HTTP_PORT = 8080;

    private final Map<String, String> env;

    private ProxySettings(Map<String, String> env) {
        this.env = Collections.unmodifiableMap(env);
    }

    public static ProxySettings of(GoProxyCacheSpec spec) {
        Map<String, String> env = new TreeMap<>();
        env.put("MODPROXY_UPSTREAM", valueOr(spec.getUpstream(), GoProxyCacheSpec.DEFAULT_UPSTREAM));
        env.put("MODPROXY_SUMDB", valueOr(spec.getSumdb(), GoProxyCacheSpec.DEFAULT_SUMDB));
        putPatterns(env, "MODPROXY_NOSUMDB", spec.getNoSumDB());
        putPatterns(env, "MODPROXY_PRIVATE", spec.getPrivate());
        env.put("MODPROXY_STORAGE_DIR", STORAGE_DIR);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(HTTP_PORT));
        return new ProxySettings(env);
    }

    public Map<String, String> env() {
        return env;
    }

    /** Stable digest of the rendered settings; equal settings give equal hashes whatever the map order. */
    public String hash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            env.forEach((k, v) -> {
                sha.update(k.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(v.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            });
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
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
