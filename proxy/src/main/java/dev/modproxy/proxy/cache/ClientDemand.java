package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ProxyRequest;

/**
 * What the cache tells a prefetcher about what clients ask for, so it can fetch what they will ask
 * next. Called on request threads (the event loop too): an implementation only notes the hint and
 * returns.
 */
public interface ClientDemand {

    /**
     * A client asked for an immutable artifact (not a private one).
     *
     * @param cached whether it is answered from the cache; otherwise it is being fetched
     */
    void asked(ProxyRequest request, boolean cached);

    /**
     * A client asked for a module's version list or its {@code @latest} (not a private module's), from
     * the cache or not; said again when a list fetched for it arrives. Mutable answers are never on the
     * hot path of a cached build (they are answered off the event loop), so this costs a build's hits
     * nothing.
     */
    void queried(ProxyRequest request);

    /** An immutable artifact was fetched, verified and stored, for a client or by a prefetch. */
    void landed(ProxyRequest request, boolean byPrefetch);

    /** No prefetcher. */
    ClientDemand NONE = new ClientDemand() {
        @Override
        public void asked(ProxyRequest request, boolean cached) {}

        @Override
        public void queried(ProxyRequest request) {}

        @Override
        public void landed(ProxyRequest request, boolean byPrefetch) {}
    };
}
