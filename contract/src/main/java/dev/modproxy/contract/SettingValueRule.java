package dev.modproxy.contract;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the proxy takes as the value of each MODPROXY_* variable it reads, and the one line it stops at start with for
 * any other value. The proxy reads its durations, counts and switches through these rules; the operator checks the
 * values a user passes in spec.proxy.env by them, so a value the operator takes is one the proxy starts with.
 */
public enum SettingValueRule {
    /** A duration of 0 or more, as {@link ProxyDuration} reads it. */
    DURATION,
    /**
     * A duration of more than 0: the bound of a wait, which at 0 would fail every wait (the JDK's HTTP client refuses
     * a timeout of 0 outright, "Invalid duration: PT0S").
     */
    POSITIVE_DURATION,
    /** A whole number of 1 or more: threads, a queue's length, a count of failures. */
    COUNT,
    /** true or false; the configuration library's other spellings (1/0, yes/no, y/n, on/off) are kept. */
    SWITCH,
    /** A byte count, as {@link ByteSize} reads it. */
    SIZE,
    /** A byte count of more than 0: a bound that at 0 would refuse everything it bounds (every prefetch). */
    POSITIVE_SIZE,
    /** Comma-separated module path globs, as GOPRIVATE and GONOSUMDB take them ({@link ModulePathPatterns}). */
    MODULE_PATH_GLOBS,
    /** A checksum database in GOSUMDB syntax ({@link GoSumDb}). */
    GOSUMDB,
    /**
     * Text the proxy reads by a syntax of its own (a GOPROXY list, a path, a URL, a watermark) or takes as written:
     * no rule here. The operator writes each of these from a field it checks, or not at all.
     */
    TEXT;

    private static final String DURATION_SYNTAX = "a duration such as 500ms, 30s, 5m, 1h or PT30S";
    /**
     * The longest duration the proxy takes (106751d): a timeout or TTL is counted in nanoseconds somewhere, and
     * Long.MAX_VALUE of them is about 292 years.
     */
    public static final Duration LONGEST_DURATION = Duration.ofDays(106751);

    /** Every variable of the proxy's ProxyConfig; its SettingValueRulesTest fails when one is missing here. */
    private static final Map<String, SettingValueRule> RULES = Map.ofEntries(
            Map.entry("MODPROXY_UPSTREAM", TEXT),
            Map.entry("MODPROXY_NETRC", TEXT),
            Map.entry("MODPROXY_UPSTREAM_CA_FILE", TEXT),
            Map.entry("MODPROXY_STORAGE_DIR", TEXT),
            Map.entry("MODPROXY_PRIVATE", MODULE_PATH_GLOBS),
            Map.entry("MODPROXY_SUMDB", GOSUMDB),
            Map.entry("MODPROXY_NOSUMDB", MODULE_PATH_GLOBS),
            Map.entry("MODPROXY_SUMDB_REQUIRED", SWITCH),
            Map.entry("MODPROXY_CONNECT_TIMEOUT", POSITIVE_DURATION),
            Map.entry("MODPROXY_READ_TIMEOUT", POSITIVE_DURATION),
            Map.entry("MODPROXY_MUTABLE_TTL", DURATION),
            Map.entry("MODPROXY_NEGATIVE_TTL", DURATION),
            Map.entry("MODPROXY_TEXT_DOWNLOAD_DEADLINE", POSITIVE_DURATION),
            Map.entry("MODPROXY_ZIP_DOWNLOAD_DEADLINE", POSITIVE_DURATION),
            Map.entry("MODPROXY_MAX_DOWNLOADS", COUNT),
            Map.entry("MODPROXY_BREAKER_FAILURES", COUNT),
            Map.entry("MODPROXY_BREAKER_COOL_DOWN", DURATION),
            Map.entry("MODPROXY_CLIENT_STALL_TIMEOUT", POSITIVE_DURATION),
            Map.entry("MODPROXY_STORAGE_TYPE", TEXT),
            Map.entry("MODPROXY_EVICTION_HIGH_WATERMARK", TEXT),
            Map.entry("MODPROXY_EVICTION_LOW_WATERMARK", TEXT),
            Map.entry("MODPROXY_MAX_SIZE", SIZE),
            Map.entry("MODPROXY_MEMORY_CACHE_SIZE", SIZE),
            Map.entry("MODPROXY_PREFETCH", SWITCH),
            Map.entry("MODPROXY_PREFETCH_CONCURRENCY", COUNT),
            Map.entry("MODPROXY_PREFETCH_MAX_BYTES", POSITIVE_SIZE),
            Map.entry("MODPROXY_PREFETCH_MAX_ZIP_SIZE", SIZE),
            Map.entry("MODPROXY_PREFETCH_QUEUE", COUNT),
            Map.entry("MODPROXY_PREFETCH_START_WINDOW", POSITIVE_DURATION),
            Map.entry("MODPROXY_PREFETCH_USE_WINDOW", POSITIVE_DURATION),
            Map.entry("MODPROXY_PASS_THROUGH_DIR", TEXT),
            Map.entry("MODPROXY_PASS_THROUGH_MAX_SIZE", SIZE),
            Map.entry("MODPROXY_S3_ENDPOINT", TEXT),
            Map.entry("MODPROXY_S3_BUCKET", TEXT),
            Map.entry("MODPROXY_S3_PREFIX", TEXT),
            Map.entry("MODPROXY_S3_REGION", TEXT),
            Map.entry("MODPROXY_S3_PATH_STYLE", SWITCH));

    /** The rule of {@code variable}, e.g. MODPROXY_PREFETCH; empty for a name that is no setting of the proxy. */
    public static Optional<SettingValueRule> of(String variable) {
        return Optional.ofNullable(RULES.get(variable));
    }

    /** Every MODPROXY_* variable the proxy reads. */
    public static Set<String> variables() {
        return RULES.keySet();
    }

    /** The one line the proxy stops at start with for {@code text} as the value of {@code variable}, if any. */
    public Optional<String> problem(String variable, String text) {
        try {
            switch (this) {
                case DURATION, POSITIVE_DURATION -> duration(variable, text);
                case COUNT -> count(variable, text);
                case SWITCH -> switchedOn(variable, text);
                case SIZE, POSITIVE_SIZE -> bytes(variable, text);
                case MODULE_PATH_GLOBS -> globs(variable, text);
                case GOSUMDB -> sumDb(variable, text);
                case TEXT -> {}
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** @throws IllegalArgumentException with the one line, for a value this rule refuses */
    public Duration duration(String variable, String text) {
        expect(variable, DURATION, POSITIVE_DURATION);
        Duration duration;
        try {
            duration = ProxyDuration.parse(text);
        } catch (IllegalArgumentException e) {
            duration = null;
        }
        if (duration == null || duration.isNegative()) {
            throw new IllegalArgumentException(variable + " must be " + DURATION_SYNTAX + ", got '" + text + "'");
        }
        if (duration.compareTo(LONGEST_DURATION) > 0) {
            // a longer one passed here and failed every request that used it (Duration.toNanos: long overflow)
            throw new IllegalArgumentException(
                    variable + " must be at most 106751d (292 years, the longest wait the proxy can count in"
                            + " nanoseconds), got '" + text + "'");
        }
        if (this == POSITIVE_DURATION && duration.isZero()) {
            throw new IllegalArgumentException(
                    variable + " must be more than 0 (" + DURATION_SYNTAX + "), got '" + text + "'");
        }
        return duration;
    }

    /** @throws IllegalArgumentException with the one line, for a value this rule refuses */
    public int count(String variable, String text) {
        expect(variable, COUNT);
        int count;
        try {
            count = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            count = 0;
        }
        if (count < 1) {
            throw new IllegalArgumentException(variable + " must be a whole number of 1 or more, got '" + text + "'");
        }
        return count;
    }

    /** @throws IllegalArgumentException with the one line, for a value this rule refuses */
    public boolean switchedOn(String variable, String text) {
        expect(variable, SWITCH);
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "y", "on" -> true;
            case "false", "0", "no", "n", "off" -> false;
            default -> throw new IllegalArgumentException(variable + " must be true or false, got '" + text + "'");
        };
    }

    /** @throws IllegalArgumentException with the one line, for a value this rule refuses */
    public long bytes(String variable, String text) {
        expect(variable, SIZE, POSITIVE_SIZE);
        long bytes = ByteSize.parse(variable, text);
        if (this == POSITIVE_SIZE && bytes == 0) {
            throw new IllegalArgumentException(
                    variable + " must be more than 0 (a byte count such as 256Mi), got '" + text + "'");
        }
        return bytes;
    }

    /**
     * @param variable MODPROXY_PRIVATE or MODPROXY_NOSUMDB, named in the message with the go command's variable
     * @throws IllegalArgumentException with the one line, for a value this rule refuses
     */
    public ModulePathPatterns globs(String variable, String text) {
        expect(variable, MODULE_PATH_GLOBS);
        try {
            return ModulePathPatterns.parse(text);
        } catch (ModulePathPatterns.InvalidException e) {
            throw new IllegalArgumentException(variable + " (" + variable.replaceFirst("^MODPROXY_", "GO")
                    + "-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): "
                    + e.getMessage());
        }
    }

    /** @throws IllegalArgumentException with the one line, for a value this rule refuses */
    public GoSumDb sumDb(String variable, String text) {
        expect(variable, GOSUMDB);
        try {
            return GoSumDb.parse(text);
        } catch (GoSumDb.InvalidException e) {
            throw new IllegalArgumentException(variable + " (GOSUMDB syntax: sum.golang.org, sum.golang.google.cn, "
                    + "name+hash+key, sum.golang.org https://url, name+hash+key https://url, or off): "
                    + e.getMessage());
        }
    }

    /** A reader of another kind than the variable's rule is the caller's mistake, not the value's. */
    private void expect(String variable, SettingValueRule... kinds) {
        if (!List.of(kinds).contains(this)) {
            throw new IllegalStateException(variable + " is read as " + this + ", not as " + List.of(kinds));
        }
    }
}
