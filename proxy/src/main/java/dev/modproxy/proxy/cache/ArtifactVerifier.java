package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ProxyRequest;

/**
 * Checks an upstream's answer after it has been downloaded into staging and before it becomes a
 * cache entry. The assembly lists the verifiers and their order; a rejection means nothing is
 * stored and the client gets a 502 (or an aborted download). A rejection of the content
 * ({@link ArtifactRejectedException}) is answered again for the negative TTL without a download; a check that
 * could not be made ({@link CheckNotMadeException}) is tried again at the next request.
 */
public interface ArtifactVerifier {

    void verify(ProxyRequest request, StagedAnswer staged) throws ArtifactRejectedException;

    /**
     * Told as the answer is asked of the upstreams, so that work which does not need its bytes (asking a checksum
     * database) runs beside the download instead of after it.
     */
    default void fetchStarts(ProxyRequest request) {}

    /** Whether {@link #verify} will ask for the zip's hash ({@link StagedAnswer#zipHash()}) for this request. */
    default boolean wantsZipHash(ProxyRequest request) {
        return false;
    }
}
