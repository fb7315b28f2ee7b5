package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ArtifactKind;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.nio.file.Path;

/** A canonical .info must be JSON naming exactly the requested version. */
public final class InfoVerifier implements ArtifactVerifier {

    @Override
    public void verify(ModulePath module, ModuleVersion version, ArtifactKind kind, Path stagedFile)
            throws ArtifactRejectedException {
        if (kind != ArtifactKind.INFO) {
            return;
        }
        String named = TextAnswers.jsonVersion(stagedFile, ".info");
        if (!named.equals(version.toString())) {
            throw new ArtifactRejectedException(".info for " + module + "@" + version + " names version " + named);
        }
    }
}
