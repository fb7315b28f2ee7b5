package dev.modproxy.operator.webhook;

/** What the webhook did to one pod; also the {@code outcome} tag of the injection metric. */
public enum InjectionOutcome {
    /** GOPROXY names the cache, followed by the fallback chain. */
    INJECTED("injected"),
    /** The cache is not Ready: GOPROXY is the fallback chain alone. */
    FALLBACK_ONLY("fallback-only"),
    /** Nothing changed: not a pod CREATE, not opted in, excluded namespace, no such cache, or all set already. */
    SKIPPED("skipped"),
    /** The review could not be read or handled; the pod is still admitted. */
    ERROR("error");

    private final String tag;

    InjectionOutcome(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
