package dev.modproxy.proxy.sumdb;

import dev.modproxy.contract.ChecksumExemptions;
import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The checksum database MODPROXY_SUMDB names (default sum.golang.org), its cached answers, and
 * the verifier that checks ingested modules against it, unless it is "off".
 */
public final class ChecksumDatabase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ChecksumDatabase.class);

    private final GoSumDbSetting setting;
    private final ModulePathPatterns exempt;
    private final SumDbCache cache;
    private final SumDbVerifier verifier;
    private final VerifiedTreeWriter verifiedTreeWriter;

    /**
     * @param exempt     modules not checked (MODPROXY_NOSUMDB and MODPROXY_PRIVATE: {@link #exemptPatterns})
     * @param chain      its upstream proxies are asked for the database's answers before the database itself
     * @param connection timeouts and circuit breaker for the database's own URL
     * @param egress     the way out to the database's own URL
     * @param answerDeadline the longest one source may take to send a whole answer (MODPROXY_TEXT_DOWNLOAD_DEADLINE)
     */
    public ChecksumDatabase(
            GoSumDbSetting setting,
            ModulePathPatterns exempt,
            Storage storage,
            UpstreamChain chain,
            UpstreamChain.Settings connection,
            Duration mutableTtl,
            EgressProxy egress,
            Duration answerDeadline) {
        this.setting = setting;
        this.exempt = exempt;
        if (setting.isOff()) {
            cache = null;
            verifier = null;
            verifiedTreeWriter = null;
            return;
        }
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(connection.connectTimeout())
                .proxy(egress)
                .followRedirects(HttpClient.Redirect.NEVER); // Upstream follows them, keeping credentials on the origin
        egress.trust().sslContext().ifPresent(builder::sslContext); // MODPROXY_UPSTREAM_CA_FILE's CAs too
        HttpClient client = builder.build();
        Upstream database = new Upstream(
                setting.url().orElseThrow(),
                client,
                connection.readTimeout(),
                CircuitBreaker.forChecksumDatabase(
                        setting.url().orElseThrow(), connection.breakerThreshold(), connection.breakerCoolDown()));
        VerifierKey key = setting.key().orElseThrow();
        StorageKey verifiedTree = SumDbCache.storageKey(key, "verified-tree");
        verifiedTreeWriter = new VerifiedTreeWriter(storage, verifiedTree);
        cache = new SumDbCache(
                key,
                new UpstreamSumDbFetcher(key, chain, database, answerDeadline),
                storage,
                mutableTtl,
                Clock.systemUTC(),
                provenSince(storage, SumDbCache.storageKey(key, "proven-since"), key),
                verifiedTreeWriter);
        verifier = cache.verifier();
        restore(storage, verifiedTree);
    }

    /** GONOSUMDB includes GOPRIVATE (the contract's rule, which the webhook gives build pods too). */
    public static ModulePathPatterns exemptPatterns(String nosumdb, String privatePatterns) {
        return ModulePathPatterns.parse(ChecksumExemptions.patterns(privatePatterns, nosumdb));
    }

    /**
     * When this cache began to keep only pieces proven with key: a marker naming the key, written again when the key
     * changes. Pieces stored before it are proven again before use and dropped when false: those a version kept
     * unproven, and those proven with another key of a database of the same name (MODPROXY_SUMDB changed), which a go
     * command with this key refuses ("note has no verifiable signatures") and which would otherwise be served as
     * immutable. A marker of a version that named no key is written again once: its pieces are proven again then.
     */
    static Instant provenSince(Storage storage, StorageKey marker, VerifierKey key) {
        byte[] text = ("pieces of the checksum database stored since this file are proven with " + key + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try {
            Optional<StoredObject> stored = storage.lookup(marker);
            if (stored.isPresent()) {
                byte[] kept;
                try (InputStream in = stored.get().open()) {
                    kept = in.readNBytes(text.length + 1);
                } finally {
                    stored.get().release();
                }
                if (Arrays.equals(kept, text)) {
                    return stored.get().lastModified();
                }
                LOG.infof(
                        "checksum database %s: the pieces of it kept in %s were not proven with %s: each is proven"
                                + " again before use, and dropped when false",
                        key.name(), marker, key);
            }
            try (StorageWriter writer = storage.openWriter(marker)) {
                writer.output().write(text);
                StoredObject written = writer.commit();
                written.release();
                return written.lastModified();
            }
        } catch (IOException e) {
            LOG.warnf(
                    "cannot read or write %s (%s): every stored piece of the checksum database is proven again before use",
                    marker, e.getMessage());
            return Instant.MAX;
        }
    }

    private void restore(Storage storage, StorageKey key) {
        try {
            Optional<StoredObject> stored = storage.lookup(key);
            if (stored.isPresent()) {
                try (InputStream in = stored.get().open()) {
                    LOG.infof(
                            "checksum database %s: continuing from verified %s",
                            setting.name().orElseThrow(), verifier.verifiedTree(in.readAllBytes()));
                }
            }
        } catch (IOException | SumDbException e) {
            LOG.warnf("ignoring the stored tree head %s: %s", key, e.getMessage());
        }
    }

    /**
     * Asks the database for its latest tree head: empty when it answers (or is off), else a warning that says
     * what to set. Until it answers, new modules are cached unverified (or refused with MODPROXY_SUMDB_REQUIRED).
     */
    public Optional<String> unreachableWarning() {
        if (cache == null) {
            return Optional.empty();
        }
        try {
            cache.answer(SumDbPath.LATEST);
            return Optional.empty();
        } catch (SumDbUnreachableException e) {
            return Optional.of("modproxy: " + e.getMessage());
        } catch (SumDbException e) {
            return Optional.of("modproxy: checksum database " + setting.name().orElseThrow() + " answered badly: "
                    + e.getMessage());
        }
    }

    /** Writes the newest verified tree head if its write is still to come. */
    @Override
    public void close() {
        if (verifiedTreeWriter != null) {
            verifiedTreeWriter.close();
        }
    }

    public GoSumDbSetting setting() {
        return setting;
    }

    /** The cache of the database's answers; empty when MODPROXY_SUMDB=off. */
    public Optional<SumDbCache> cache() {
        return Optional.ofNullable(cache);
    }

    /** The verifier for modules not exempt by MODPROXY_NOSUMDB or MODPROXY_PRIVATE; empty when off. */
    public Optional<SumDbVerifier> verifierFor(String modulePath) {
        return verifier == null || exempt.matches(modulePath) ? Optional.empty() : Optional.of(verifier);
    }
}
