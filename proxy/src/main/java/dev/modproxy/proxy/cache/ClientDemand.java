package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ProxyRequest;

/**
 * What the cache tells a prefetcher about the artifacts clients ask for, so it can fetch what they
 * will ask next. Called on request threads (the event loop too): an implementation only notes the
 * hint and returns.
 */
public interface ClientDemand {

    /**
     * A client asked for an immutable artifact (not a private one).
     *
     * @param cached whether it is answered from the cache; otherwise it is being fetched
     */
    void asked(ProxyRequest request, boolean cached);

    /** An immutable artifact was fetched, verified and stored, for a client or by a prefetch. */
    void landed(ProxyRequest request, boolean byPrefetch);

    /** No prefetcher. */
    ClientDemand NONE = new ClientDemand() {
        @Override
        public void asked(ProxyRequest request, boolean cached) {}

        @Override
        public void landed(ProxyRequest request, boolean byPrefetch) {}
    };
}
