package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ArtifactKind;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.nio.file.Path;

/**
 * A .mod must be non-empty text the go command can read as a dependency's go.mod ({@link GoModSyntax}),
 * and when it has a module directive it must name the requested path. A go.mod without one is
 * accepted: the go command tolerates it for old (+incompatible) versions.
 */
public final class GoModVerifier implements ArtifactVerifier {

    @Override
    public void verify(ModulePath module, ModuleVersion version, ArtifactKind kind, Path stagedFile)
            throws ArtifactRejectedException {
        if (kind != ArtifactKind.MOD) {
            return;
        }
        GoModSyntax syntax = new GoModSyntax();
        if (!TextAnswers.forEachLine(stagedFile, ".mod", syntax::line)) {
            // every .mod the go command itself writes has a module line; an empty 200 is a broken answer, kept forever if cached
            throw new ArtifactRejectedException(".mod of " + module + "@" + version + " is empty");
        }
        syntax.end();
        String declared = syntax.declaredModule();
        if (declared != null && !declared.equals(module.path())) {
            throw new ArtifactRejectedException("go.mod of " + module + "@" + version + " declares module " + declared);
        }
    }

    /** The path in the module directive, or null when there is none (or the text is no go.mod). */
    static String declaredModule(String gomod) {
        GoModSyntax syntax = new GoModSyntax();
        try {
            for (String line : gomod.split("\n", -1)) {
                syntax.line(line);
            }
        } catch (ArtifactRejectedException e) {
            return null;
        }
        return syntax.declaredModule();
    }
}
