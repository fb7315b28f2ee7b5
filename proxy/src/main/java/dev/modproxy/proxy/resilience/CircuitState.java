package dev.modproxy.proxy.resilience;

/** Where a {@link Circuit} is: calls go through, are skipped, or one trial call is out. */
public enum CircuitState {
    CLOSED,
    OPEN,
    HALF_OPEN
}
