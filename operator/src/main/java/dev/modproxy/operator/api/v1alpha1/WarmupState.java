package dev.modproxy.operator.api.v1alpha1;

/** Where the warm-up of the current spec stands; the values are what users see in status.warmup.state. */
public enum WarmupState {
    /** Not handed to the proxy yet (proxy unreachable, another warm-up running, ConfigMap missing). */
    Pending,
    /** The proxy refused the list; it is sent again when the spec changes. */
    Rejected,
    /** The proxy is fetching the modules. */
    Running,
    /** The proxy fetched what it could; failures are listed. */
    Finished,
    /** The proxy no longer knows the warm-up (it restarted while running); sent again when the spec changes. */
    Interrupted
}
