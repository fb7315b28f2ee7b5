package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ArtifactKind;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.nio.file.Path;

/**
 * Checks an immutable artifact (.info, .mod, .zip) after it has been downloaded into staging and
 * before it becomes a cache entry. Every CDI bean implementing this runs on every artifact; a
 * rejection means nothing is stored and the client gets a 502 (or an aborted download).
 */
public interface ArtifactVerifier {

    void verify(ModulePath module, ModuleVersion version, ArtifactKind kind, Path stagedFile)
            throws ArtifactRejectedException;
}
