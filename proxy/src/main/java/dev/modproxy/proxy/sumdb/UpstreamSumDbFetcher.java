package dev.modproxy.proxy.sumdb;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.proxy.upstream.EgressLoginRefusedException;
import dev.modproxy.proxy.upstream.UnusableAnswerException;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches a database path through each upstream proxy's /sumdb/&lt;name&gt;/ (goproxy.cn and
 * proxy.golang.org serve sum.golang.org there), then from the database's own URL.
 */
public final class UpstreamSumDbFetcher implements SumDbFetcher {

    /** How long a proxy's answer to /sumdb/&lt;name&gt;/supported is trusted. */
    private static final Duration RELAY_MEMORY = Duration.ofMinutes(10);

    private final VerifierKey key;
    private final String name;
    private final List<Upstream> proxies;
    private final Upstream database;
    /** The longest one source may take to send a whole answer, however steadily it drips bytes. */
    private final Duration answerDeadline;

    private final Cache<Upstream, Boolean> relays =
            Caffeine.newBuilder().expireAfterWrite(RELAY_MEMORY).build();

    /**
     * @param answerDeadline the longest one source may take to send a whole answer (MODPROXY_TEXT_DOWNLOAD_DEADLINE):
     *                       the read timeout bounds only each gap between bytes, and a lookup or tile that drips
     *                       would hold its proof, and every caller waiting for it, for as long as the source likes
     */
    public UpstreamSumDbFetcher(VerifierKey key, UpstreamChain chain, Upstream database, Duration answerDeadline) {
        this.key = key;
        this.name = key.name();
        this.proxies = chain.entries().stream()
                .filter(UpstreamChain.Proxy.class::isInstance)
                .map(entry -> ((UpstreamChain.Proxy) entry).upstream())
                .toList();
        this.database = database;
        this.answerDeadline = answerDeadline;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        SumDbPath.parse(path);
        return SumDbSources.firstProven(name, path, sources(), source -> source.fetch(path));
    }

    /** Each upstream proxy's /sumdb/&lt;name&gt;/, then the database's own URL; each refuses an answer of the wrong shape. */
    @Override
    public List<SumDbFetcher> sources() {
        List<SumDbFetcher> sources = new ArrayList<>();
        for (Upstream proxy : proxies) {
            sources.add(path -> usable(fromProxy(proxy, path), SumDbPath.parse(path), proxy));
        }
        sources.add(path -> usable(get(database, path), SumDbPath.parse(path), database));
        return sources;
    }

    /**
     * A proxy's answer for path. Its 404 for a lookup is the database's own "no such module version" when the proxy
     * serves the database (proxy.golang.org relays sum.golang.org's 404): an answer, not an outage. A proxy that
     * does not serve it answers 404 for everything below /sumdb/.
     */
    private byte[] fromProxy(Upstream proxy, String path) throws SumDbException {
        try {
            return get(proxy, "sumdb/" + name + "/" + path);
        } catch (SumDbNotFoundException e) {
            if (path.startsWith("lookup/") && relays(proxy)) {
                throw new SumDbSources.NotInDatabase(e.getMessage() + " (it serves " + name + ")");
            }
            throw e;
        }
    }

    /** Whether the proxy serves the database: its /sumdb/&lt;name&gt;/supported is 200, as the go command asks it. */
    private boolean relays(Upstream proxy) {
        return relays.get(proxy, p -> {
            try (UpstreamResponse response = p.get("sumdb/" + name + "/supported", answerDeadline)) {
                return response.ok();
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** A proxy that answers 200 with something else (an HTML page, another key's note) is skipped. */
    private byte[] usable(byte[] answer, SumDbPath path, Upstream source) throws SumDbException {
        try {
            path.checkAnswer(answer, key);
            return answer;
        } catch (SumDbException e) {
            throw new SumDbException(
                    "unusable answer from " + source.host() + " for " + path.path() + ": " + e.getMessage(), e);
        }
    }

    private byte[] get(Upstream upstream, String path) throws SumDbException {
        if (!upstream.breaker().tryAcquire()) {
            throw new SumDbUnreachableException(upstream.host() + " skipped: circuit open");
        }
        try (UpstreamResponse response = upstream.get(path, answerDeadline)) {
            if (response.status() == 503) {
                upstream.breaker().recordFailure("sumdb/" + path);
            } else {
                upstream.breaker().recordSuccess();
            }
            if (response.notFound()) {
                throw new SumDbNotFoundException(response.describe(path));
            }
            if (response.status() == 403 || response.status() == 400) {
                throw new SumDbPathRefusedException(response.status(), response.describe(path));
            }
            if (!response.ok()) {
                throw new SumDbUnreachableException(response.describe(path));
            }
            try (InputStream body = response.body()) {
                byte[] data = body.readNBytes(MAX_ANSWER_BYTES + 1);
                if (data.length > MAX_ANSWER_BYTES) {
                    throw new SumDbException(
                            upstream.host() + " sent more than " + MAX_ANSWER_BYTES + " bytes for " + path);
                }
                return data;
            }
        } catch (UnusableAnswerException e) {
            throw new SumDbException(upstream.host() + " for " + path + ": " + e.getMessage(), e);
        } catch (EgressLoginRefusedException e) {
            // the egress proxy refused the cache's login (or wants one): a refusal to fix, as a 401 is, not an outage,
            // so the circuit stays closed and lookups go on once the login is fixed (as UpstreamChain does)
            upstream.breaker().recordSuccess();
            throw new SumDbUnreachableException(upstream.host() + " failed for " + path + ": " + e.getMessage(), e);
        } catch (IOException e) {
            upstream.breaker().recordFailure("sumdb/" + path);
            throw new SumDbUnreachableException(upstream.host() + " failed for " + path + ": " + e.getMessage(), e);
        }
    }
}
