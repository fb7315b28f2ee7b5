package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ArtifactKind;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import jakarta.inject.Singleton;
import java.nio.file.Path;

/**
 * A .mod must be non-empty text the go command can read as a dependency's go.mod ({@link GoModSyntax}),
 * and when it has a module directive it must name the requested path. A go.mod without one is
 * accepted: the go command tolerates it for old (+incompatible) versions.
 */
@Singleton
public final class GoModVerifier implements ArtifactVerifier {

    @Override
    public void verify(ModulePath module, ModuleVersion version, ArtifactKind kind, Path stagedFile)
            throws ArtifactRejectedException {
        if (kind != ArtifactKind.MOD) {
            return;
        }
        String text = TextAnswers.readText(stagedFile, ".mod");
        if (text.isBlank()) {
            // every .mod the go command itself writes has a module line; an empty 200 is a broken answer, kept forever if cached
            throw new ArtifactRejectedException(".mod of " + module + "@" + version + " is empty");
        }
        GoModSyntax.check(text);
        String declared = declaredModule(text);
        if (declared != null && !declared.equals(module.path())) {
            throw new ArtifactRejectedException("go.mod of " + module + "@" + version + " declares module " + declared);
        }
    }

    /** The path in the module directive, or null when there is none. */
    static String declaredModule(String gomod) {
        boolean inBlock = false;
        for (String raw : gomod.split("\n")) {
            String line = stripComment(raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (inBlock) {
                return unquote(line);
            }
            if (line.startsWith("module") && (line.length() == 6 || Character.isWhitespace(line.charAt(6)) || line.charAt(6) == '(')) {
                String rest = line.substring(6).strip();
                if (rest.startsWith("(")) {
                    rest = rest.substring(1).strip();
                    if (rest.isEmpty()) {
                        inBlock = true;
                        continue;
                    }
                    rest = rest.endsWith(")") ? rest.substring(0, rest.length() - 1).strip() : rest;
                }
                return unquote(rest);
            }
        }
        return null;
    }

    private static String stripComment(String line) {
        int comment = line.indexOf("//");
        return comment >= 0 ? line.substring(0, comment) : line;
    }

    private static String unquote(String token) {
        String t = token.strip();
        if (t.length() >= 2 && (t.startsWith("\"") && t.endsWith("\"") || t.startsWith("`") && t.endsWith("`"))) {
            return t.substring(1, t.length() - 1);
        }
        int space = t.indexOf(' ');
        return space >= 0 ? t.substring(0, space) : t;
    }
}
