package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.upstream.UnusableAnswerException;
import dev.modproxy.proxy.upstream.UpstreamResponse;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

    /** Lets a download go on, or stops it (CancellationException) before more of it is read. */
    interface DownloadGuard {
        /** @param contentLength the announced length, -1 when unknown; @param received the bytes read so far */
        void admit(long contentLength, long received);

        DownloadGuard NONE = (contentLength, received) -> {};
    }

    /** Lets the verifiers start what they can do before the answer's bytes arrive. */
    void fetchStarts(ProxyRequest request) {
        for (ArtifactVerifier verifier : verifiers) {
            verifier.fetchStarts(request);
        }
    }

    StoredObject store(
            ProxyRequest request, StorageKey key, UpstreamResponse response, ClientTee tee, DownloadGuard guard)
            throws IOException {
        String contentType = response.contentType().toLowerCase(Locale.ROOT);
        if (contentType.startsWith("text/html") || contentType.startsWith("application/xhtml")) {
            throw new UnusableAnswerException("answered an HTML page (" + response.contentType() + ") with status 200");
        }
        long limit = request.kind().maxBytes();
        if (response.contentLength() > limit) {
            throw new UnusableAnswerException(
                    "announces " + response.contentLength() + " bytes, over the limit of " + limit, true);
        }
        guard.admit(response.contentLength(), 0);
        boolean zipHashWanted = wantsZipHash(request);
        try (StorageWriter writer = local(() -> storage.openWriter(key))) {
            // a large zip that arrives slowly is inflated as it arrives: the check after the download has little left
            EarlyZipCheck early =
                    request.kind() == RequestKind.ZIP && response.contentLength() >= ModuleZipRules.SHARED_FROM
                            ? new EarlyZipCheck(zipHashWanted, ModuleZipRules.MAX_UNCOMPRESSED_BYTES)
                            : null;
            long copied;
            Map<Long, EarlyZipCheck.Inflated> inflatedEarly;
            try {
                copied = copy(
                        response.body(),
                        writer,
                        limit,
                        tee,
                        response.contentLength(),
                        guard,
                        early,
                        request.kind() == RequestKind.ZIP);
            } finally {
                inflatedEarly = early == null ? Map.of() : early.end();
            }
            if (response.contentLength() >= 0 && copied != response.contentLength()) {
                throw new IOException("body truncated: got " + copied + " of " + response.contentLength() + " bytes");
            }
            local(() -> {
                writer.output().flush(); // verifiers read the staged file, not the stream
                return null;
            });
            check(request, new StagedAnswer(writer.stagedFile(), zipHashWanted, inflatedEarly));
            // the verified staged bytes are what gets published: keep those, not a re-read from storage
            ByteBuf verified =
                    memory.wants(request, copied) ? local(() -> memory.read(writer.stagedFile(), copied)) : null;
            try {
                long removals = memory.removalsSoFar();
                StoredObject stored = local(writer::commit);
                if (verified != null && verified.readableBytes() == stored.size() && stored.inStorage()) {
                    memory.keep(key, verified, stored.lastModified(), removals);
                    verified = null; // the memory cache's now
                }
                return stored;
            } finally {
                if (verified != null) {
                    verified.release();
                }
            }
        }
    }

    private static long copy(
            InputStream in,
            StorageWriter writer,
            long limit,
            ClientTee tee,
            long contentLength,
            DownloadGuard guard,
            EarlyZipCheck early,
            boolean zip)
            throws IOException {
        OutputStream out = writer.output();
        byte[] buffer = new byte[CHUNK];
        // a zip's first bytes, checked before the client gets any (the tee holds back far more than these)
        byte[] start = zip ? new byte[ModuleZipRules.START_LENGTH] : null;
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (start != null && total < start.length) {
                System.arraycopy(buffer, 0, start, (int) total, (int) Math.min(n, start.length - total));
                if (total + n >= start.length) {
                    checkZipStart(start);
                }
            }
            total += n;
            guard.admit(contentLength, total);
            if (total > limit) {
                throw new UnusableAnswerException("body exceeds the limit of " + limit + " bytes", true);
            }
            int length = n;
            local(() -> {
                out.write(buffer, 0, length);
                if (tee.streaming() || early != null) {
                    out.flush(); // the client and the early check read the staged file: the bytes must be in it
                }
                return null;
            });
            tee.chunk(writer.stagedFile(), total, n, contentLength);
            if (early != null) {
                early.arrived(writer.stagedFile(), total);
            }
        }
        return total;
    }

    private static void checkZipStart(byte[] start) throws UnusableAnswerException {
        try {
            ModuleZipRules.checkStart(start);
        } catch (ArtifactRejectedException e) {
            throw refusal(e);
        }
    }

    /**
     * A verifier's refusal as the chain takes it: one of the content is remembered by the cache and answered again
     * without a download; a check that could not be made is not, nor a page in the answer's place.
     */
    private static UnusableAnswerException refusal(ArtifactRejectedException e) {
        return new UnusableAnswerException(
                e.getMessage(),
                !(e instanceof CheckNotMadeException || e instanceof NotAnAnswerException),
                e.voucher().orElse(null));
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

    private boolean wantsZipHash(ProxyRequest request) {
        boolean wanted = false;
        for (ArtifactVerifier verifier : verifiers) {
            wanted |= verifier.wantsZipHash(request);
        }
        return wanted;
    }

    /** Runs the verifiers in the assembly's order: the first that refuses the answer keeps it out. */
    private void check(ProxyRequest request, StagedAnswer answer) throws UnusableAnswerException {
        try {
            for (ArtifactVerifier verifier : verifiers) {
                verifier.verify(request, answer);
            }
        } catch (ArtifactRejectedException e) {
            throw refusal(e);
        }
    }
}
