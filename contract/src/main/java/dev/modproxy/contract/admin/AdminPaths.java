package dev.modproxy.contract.admin;

/** The proxy's admin endpoints, on its management port. */
public final class AdminPaths {

    /** GET: {@link CacheStats}. */
    public static final String STATS = "/admin/stats";
    /** POST a module list to start a warm-up, GET its {@link WarmupReport}. */
    public static final String WARMUP = "/admin/warmup";
    /** The field of a 4xx answer's JSON object that says what was refused and why. */
    public static final String ERROR_FIELD = "error";

    private AdminPaths() {}
}
