package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.ProxyRequest;
import java.nio.file.Path;

/**
 * What a valid answer of each request kind looks like, checked on the staged file before anything
 * else looks at it: the go command would refuse anything else, and a cached bad answer would be
 * served again and again (forever, for an immutable one).
 */
public final class AnswerChecks implements ArtifactVerifier {

    @Override
    public void verify(ProxyRequest request, StagedAnswer answer) throws ArtifactRejectedException {
        Path staged = answer.file();
        switch (request.kind()) {
            case LIST -> TextAnswers.filterVersionList(staged);
            case LATEST -> checkOfThisMajor(request.module(), TextAnswers.jsonVersion(staged, "@latest"));
            case INFO -> {
                String named = TextAnswers.jsonVersion(staged, ".info");
                if (!request.immutable()) {
                    checkOfThisMajor(request.module(), named); // a branch or commit resolves to some version
                } else if (!named.equals(request.version().toString())) {
                    throw new ArtifactRejectedException(".info for " + request.module() + "@" + request.version()
                            + " names version " + TextAnswers.shown(named));
                }
            }
            case MOD -> checkGoMod(request.module(), request.version(), staged);
            case ZIP -> ModuleZipRules.check(request.module(), request.version(), answer);
        }
    }

    /** @latest and revision .info must name a canonical version the go command can use for this path. */
    private static void checkOfThisMajor(ModulePath module, String version) throws ArtifactRejectedException {
        if (!ModuleVersion.isCanonical(version)) {
            throw new ArtifactRejectedException("answer names non-canonical version " + TextAnswers.shown(version));
        }
        try {
            ModuleVersion.parse(version).checkBelongsTo(module);
        } catch (IllegalArgumentException e) {
            // e.g. a v1 answer for a /v2 module: the go command cannot use it for this path
            throw new ArtifactRejectedException("answer names a version of another major: " + e.getMessage());
        }
    }

    /**
     * A .mod must be non-empty text the go command can read as a dependency's go.mod ({@link GoModSyntax}); like
     * the go command, it takes bytes that are not UTF-8 (a comment in Latin-1) as U+FFFD.
     * The path its module directive names is not checked: a fork used through a replace directive keeps the
     * original's path there, the go command accepts either the required or the replacement path, and only it
     * knows which one the build asked for (go.dev/ref/mod#go-mod-file-replace).
     */
    private static void checkGoMod(ModulePath module, ModuleVersion version, Path staged)
            throws ArtifactRejectedException {
        GoModSyntax syntax = new GoModSyntax();
        if (!TextAnswers.forEachLineLenient(staged, ".mod", syntax)) {
            // every .mod the go command itself writes has a module line; an empty 200 is a broken answer, kept forever
            // if cached
            throw new ArtifactRejectedException(".mod of " + module + "@" + version + " is empty");
        }
        syntax.end();
    }
}
