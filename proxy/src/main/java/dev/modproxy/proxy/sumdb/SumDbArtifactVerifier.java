package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.cache.ArtifactRejectedException;
import dev.modproxy.proxy.cache.ArtifactVerifier;
import dev.modproxy.proxy.cache.BoundedThreads;
import dev.modproxy.proxy.cache.CheckNotMadeException;
import dev.modproxy.proxy.cache.StagedAnswer;
import dev.modproxy.proxy.checksum.DirHash;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.jboss.logging.Logger;

/**
 * Refuses a .mod or .zip whose h1: hash is not the one the checksum database proves for it,
 * before it becomes a cache entry. Counted in modproxy_sumdb_rejections_total{reason}: mismatch, unverifiable, or
 * fork (the database signed two histories).
 */
public final class SumDbArtifactVerifier implements ArtifactVerifier {

    private static final Logger LOG = Logger.getLogger(SumDbArtifactVerifier.class);

    /**
     * Proves records ahead of downloads ({@link #fetchStarts}): as many at once as a build asks modules at once; a
     * download that finds them all busy is proven after it, by {@link #verify}.
     */
    private static final ExecutorService PROVERS = provers();

    /**
     * What to do about a version the database does not have, said with the refusal: it is most often a private module,
     * and a build's GONOSUMDB exempts it from the go command's check only, not from this proxy's.
     */
    static final String NOT_IN_DATABASE = "A private module is in no public checksum database: list it in"
            + " MODPROXY_NOSUMDB (spec.noSumDB), as GONOSUMDB in a build exempts it from that go command's check only";

    private final ChecksumDatabase database;
    private final Counter mismatches;
    private final Counter unverifiable;
    private final Counter forks;
    private final Counter acceptedUnverified;
    private final boolean required;

    /** @param required refuse a module when no source of the database answers (MODPROXY_SUMDB_REQUIRED) */
    public SumDbArtifactVerifier(ChecksumDatabase database, MeterRegistry registry, boolean required) {
        this.database = database;
        this.required = required;
        this.acceptedUnverified = Counter.builder("modproxy.sumdb.unverified")
                .description("Downloads cached without a check because no source of the checksum database answered")
                .register(registry);
        this.mismatches = rejections(registry, "mismatch", "Downloads whose hash differs from the checksum database's");
        this.unverifiable = rejections(registry, "unverifiable", "Downloads the checksum database could not vouch for");
        this.forks = rejections(
                registry, "fork", "Downloads refused because the checksum database signed two histories (a fork)");
    }

    /**
     * At most 8 proofs ahead at once and 256 waiting; past them a download is proved after it ends, as it always can
     * be. Idle provers end after 30 s.
     */
    static ThreadPoolExecutor provers() {
        return BoundedThreads.pool("modproxy-sumdb-prover", 8, 256, Duration.ofSeconds(30));
    }

    private static Counter rejections(MeterRegistry registry, String reason, String description) {
        return Counter.builder("modproxy.sumdb.rejections")
                .tag("reason", reason)
                .description(description)
                .register(registry);
    }

    /**
     * Proves the database's record of the module version while its file downloads: the lookup and the tiles proving
     * it are round trips of their own, which {@link #verify} would otherwise make after the download. verify joins a
     * proof still under way ({@link SumDbVerifier} asks once for callers at once) and reports any failure itself.
     */
    @Override
    public void fetchStarts(ProxyRequest request) {
        RequestKind kind = request.kind();
        if (!kind.checksummed()) {
            return;
        }
        database.verifierFor(request.module().path()).ifPresent(verifier -> {
            String module = request.module().path();
            String version = request.version().toString();
            try {
                PROVERS.execute(() -> {
                    try {
                        verifier.provenHash(module, version, kind);
                    } catch (SumDbException | RuntimeException e) {
                        LOG.debugf("proving %s@%s ahead of its download failed: %s", module, version, e.getMessage());
                    }
                });
            } catch (RejectedExecutionException e) {
                // every prover busy: verify proves it after the download, as it always could
            }
        });
    }

    @Override
    public boolean wantsZipHash(ProxyRequest request) {
        return request.kind() == RequestKind.ZIP
                && database.verifierFor(request.module().path()).isPresent();
    }

    /** Names the database in a refusal it caused: the upstream's bytes may be right, so the upstream is not blamed. */
    private static String voucher(SumDbVerifier verifier) {
        return "checksum database " + verifier.databaseName();
    }

    /** A lookup's failure as the client of the download is told it (see {@link SumDbSources#forADownload}). */
    private static String forADownload(
            SumDbException failure, SumDbVerifier verifier, ModulePath module, ModuleVersion version) {
        return SumDbSources.forADownload(
                failure.getMessage(),
                verifier.databaseName(),
                module.path() + "@" + version,
                "lookup/" + SumDbVerifier.escape(module.path()) + "@" + SumDbVerifier.escape(version.toString()));
    }

    @Override
    public void verify(ProxyRequest request, StagedAnswer staged) throws ArtifactRejectedException {
        RequestKind kind = request.kind();
        if (!kind.checksummed()) {
            return;
        }
        ModulePath module = request.module();
        ModuleVersion version = request.version();
        Optional<SumDbVerifier> verifier = database.verifierFor(module.path());
        if (verifier.isEmpty()) {
            return;
        }
        try {
            String actual = kind == RequestKind.ZIP ? staged.zipHash() : DirHash.ofGoMod(staged.file());
            verifier.get().verify(module.path(), version.toString(), kind, actual);
        } catch (ChecksumMismatchException e) {
            mismatches.increment();
            LOG.warnf(
                    "SECURITY: refused %s@%s%s: downloaded %s, checksum database %s has %s",
                    e.module(),
                    e.version(),
                    kind.suffix(),
                    e.actual(),
                    verifier.get().databaseName(),
                    e.expected());
            throw new ArtifactRejectedException(e.getMessage(), e);
        } catch (SumDbUnreachableException e) {
            String reason = forADownload(e, verifier.get(), module, version);
            if (required) {
                unverifiable.increment();
                LOG.warnf(
                        "refused %s@%s%s (MODPROXY_SUMDB_REQUIRED): %s", module.path(), version, kind.suffix(), reason);
                throw CheckNotMadeException.unvouched(voucher(verifier.get()), reason, e);
            }
            acceptedUnverified.increment();
            LOG.warnf("cached %s@%s%s unverified: %s", module.path(), version, kind.suffix(), reason);
        } catch (SumDbNotFoundException e) {
            // the database has no record of this version: refused, as a mismatch is, for what it is
            unverifiable.increment();
            String reason = forADownload(e, verifier.get(), module, version) + ". " + NOT_IN_DATABASE;
            LOG.warnf("refused %s@%s%s: %s", module.path(), version, kind.suffix(), reason);
            throw ArtifactRejectedException.unvouched(voucher(verifier.get()), reason, e);
        } catch (SumDbException e) {
            // an answer that failed its proof or signature is about the source that sent it, not the module; a fork
            // was said where it was found, with both notes (a SECURITY line), and this is what it cost
            (SumDbForkException.in(e).isPresent() ? forks : unverifiable).increment();
            LOG.warnf("refused %s@%s%s: %s", module.path(), version, kind.suffix(), e.getMessage());
            throw CheckNotMadeException.unvouched(voucher(verifier.get()), e.getMessage(), e);
        } catch (IOException e) {
            unverifiable.increment();
            throw new CheckNotMadeException(
                    module.path() + "@" + version + kind.suffix() + ": unreadable: " + e.getMessage(), e);
        }
    }
}
