package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.upstream.UnusableAnswerException;
import dev.modproxy.proxy.upstream.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Turns one upstream 200 answer into a stored object: size limits, staging, checks, atomic
 * commit. Upstream faults surface as IOException (the chain may try the next upstream); local
 * storage faults as UncheckedIOException, so they never count against an upstream.
 */
final class ArtifactIngest {

    private static final int CHUNK = 64 * 1024;

    private final Storage storage;
    private final List<ArtifactVerifier> verifiers;
    private final MemoryCache memory;

    ArtifactIngest(Storage storage, List<ArtifactVerifier> verifiers, MemoryCache memory) {
        this.storage = storage;
        this.verifiers = List.copyOf(verifiers);
        this.memory = memory;
    }

    StoredObject store(ProxyRequest request, StorageKey key, UpstreamResponse response, ClientTee tee)
            throws IOException {
        String contentType = response.contentType().toLowerCase(Locale.ROOT);
        if (contentType.startsWith("text/html") || contentType.startsWith("application/xhtml")) {
            throw new UnusableAnswerException("answered an HTML page (" + response.contentType() + ") with status 200");
        }
        long limit = sizeLimit(request.kind());
        if (response.contentLength() > limit) {
            throw new UnusableAnswerException("announces " + response.contentLength() + " bytes, over the limit of " + limit);
        }
        try (StorageWriter writer = local(() -> storage.openWriter(key))) {
            long copied = copy(response.body(), writer, limit, tee, response.contentLength());
            if (response.contentLength() >= 0 && copied != response.contentLength()) {
                throw new IOException("body truncated: got " + copied + " of " + response.contentLength() + " bytes");
            }
            local(() -> {
                writer.output().flush(); // verifiers read the staged file, not the stream
                return null;
            });
            check(request, writer.stagedFile());
            // the verified staged bytes are what gets published: keep those, not a re-read from storage
            byte[] verified = memory.wants(request, copied) ? local(() -> Files.readAllBytes(writer.stagedFile())) : null;
            long removals = memory.removalsSoFar();
            StoredObject stored = local(writer::commit);
            if (verified != null && verified.length == stored.size() && stored.inStorage()) {
                memory.remember(key, verified, stored.lastModified(), removals);
            }
            return stored;
        }
    }

    private static long copy(InputStream in, StorageWriter writer, long limit, ClientTee tee, long contentLength) throws IOException {
        OutputStream out = writer.output();
        byte[] buffer = new byte[CHUNK];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
            if (total > limit) {
                throw new UnusableAnswerException("body exceeds the limit of " + limit + " bytes");
            }
            int length = n;
            local(() -> {
                out.write(buffer, 0, length);
                if (tee.streaming()) {
                    out.flush(); // the client reads the staged file: the bytes must be in it
                }
                return null;
            });
            tee.chunk(writer.stagedFile(), total, n, contentLength);
        }
        return total;
    }

    private interface LocalIo<T> {
        T run() throws IOException;
    }

    /** Storage failures are ours, not the upstream's: keep them apart from upstream I/O errors. */
    private static <T> T local(LocalIo<T> io) {
        try {
            return io.run();
        } catch (IOException e) {
            throw new UncheckedIOException("cache storage failed: " + e.getMessage(), e);
        }
    }

    private void check(ProxyRequest request, Path staged) throws UnusableAnswerException {
        try {
            if (request.immutable()) {
                for (ArtifactVerifier verifier : verifiers) {
                    verifier.verify(request.module(), request.version(), request.artifactKind(), staged);
                }
            } else {
                checkMutable(request, staged);
            }
        } catch (ArtifactRejectedException e) {
            throw new UnusableAnswerException(e.getMessage());
        }
    }

    /** list must be text; @latest and revision .info must be JSON naming a canonical version of this module's major. */
    private static void checkMutable(ProxyRequest request, Path staged) throws ArtifactRejectedException {
        switch (request.kind()) {
            case LIST -> TextAnswers.checkVersionList(staged);
            case LATEST, INFO -> {
                String version = TextAnswers.jsonVersion(staged, request.kind() == ProxyRequest.Kind.LATEST ? "@latest" : ".info");
                if (!ModuleVersion.isCanonical(version)) {
                    throw new ArtifactRejectedException("answer names non-canonical version " + version);
                }
                try {
                    ModuleVersion.parse(version).checkBelongsTo(request.module());
                } catch (IllegalArgumentException e) {
                    // e.g. a v1 answer for a /v2 module: the go command cannot use it for this path
                    throw new ArtifactRejectedException("answer names a version of another major: " + e.getMessage());
                }
            }
            default -> throw new IllegalStateException(request.kind() + " is immutable");
        }
    }

    static long sizeLimit(ProxyRequest.Kind kind) {
        return switch (kind) {
            case ZIP -> ModuleZipVerifier.MAX_ZIP_BYTES;
            // the go command's own limit for a go.mod (a module zip's go.mod may not be larger); a list gets as much
            case MOD -> ModuleZipVerifier.MAX_GO_MOD_BYTES;
            case LIST -> 16L << 20;
            case INFO, LATEST -> TextAnswers.MAX_JSON_BYTES;
        };
    }
}
