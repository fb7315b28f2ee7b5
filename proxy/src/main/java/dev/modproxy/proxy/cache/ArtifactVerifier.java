package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ProxyRequest;
import java.nio.file.Path;

/**
 * Checks an upstream's answer after it has been downloaded into staging and before it becomes a
 * cache entry. The assembly lists the verifiers and their order; a rejection means nothing is
 * stored and the client gets a 502 (or an aborted download).
 */
public interface ArtifactVerifier {

    void verify(ProxyRequest request, Path stagedFile) throws ArtifactRejectedException;
}
