package dev.modproxy.proxy.upstream;

/** Observes upstream traffic (metrics). */
public interface UpstreamListener {

    /** One request finished: outcome is ok, not_found, forbidden, bad_request, timeout, error, rejected, cancelled,
     * local_failure or
     * circuit_open. */
    void requestFinished(Upstream upstream, String outcome, long nanos);

    UpstreamListener NONE = (upstream, outcome, nanos) -> {};
}
