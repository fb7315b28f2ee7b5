package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamResponse;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches a database path through each upstream proxy's /sumdb/&lt;name&gt;/ (goproxy.cn and
 * proxy.golang.org serve sum.golang.org there), then from the database's own URL.
 */
public final class UpstreamSumDbFetcher implements SumDbFetcher {

    /** What an operator can do when the database cannot be reached from where the proxy runs. */
    static final String WHAT_TO_SET = "Set MODPROXY_SUMDB to a checksum database this proxy can reach "
            + "(from China: MODPROXY_SUMDB=sum.golang.google.cn), or list private modules in GONOSUMDB "
            + "(MODPROXY_NOSUMDB) so they are not looked up";

    private final VerifierKey key;
    private final String name;
    private final List<Upstream> proxies;
    private final Upstream database;

    public UpstreamSumDbFetcher(VerifierKey key, UpstreamChain chain, Upstream database) {
        this.key = key;
        this.name = key.name();
        this.proxies = chain.entries().stream()
                .filter(UpstreamChain.Proxy.class::isInstance)
                .map(entry -> ((UpstreamChain.Proxy) entry).upstream())
                .toList();
        this.database = database;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        SumDbPath checked = SumDbPath.parse(path);
        List<String> failures = new ArrayList<>();
        // Any source that answered 200 with something unusable makes the outcome a refusal, not an outage.
        boolean answeredBadly = false;
        for (Upstream proxy : proxies) {
            try {
                return usable(get(proxy, "sumdb/" + name + "/" + path), checked, proxy);
            } catch (SumDbException e) {
                answeredBadly |= !(e instanceof SumDbUnreachableException || e instanceof SumDbNotFoundException);
                failures.add(e.getMessage());
            }
        }
        try {
            return usable(get(database, path), checked, database);
        } catch (SumDbNotFoundException e) {
            throw e;
        } catch (SumDbException e) {
            failures.add(e.getMessage());
            String message = "checksum database " + name + " unreachable for " + path + ": " + String.join("; ", failures);
            if (e instanceof SumDbUnreachableException && !answeredBadly) {
                throw new SumDbUnreachableException(message + ". " + WHAT_TO_SET, e);
            }
            throw new SumDbException(message, e);
        }
    }

    /** A proxy that answers 200 with something else (an HTML page, another key's note) is skipped. */
    private byte[] usable(byte[] answer, SumDbPath path, Upstream source) throws SumDbException {
        try {
            path.checkAnswer(answer, key);
            return answer;
        } catch (SumDbException e) {
            throw new SumDbException("unusable answer from " + source.host() + " for " + path.path() + ": " + e.getMessage(), e);
        }
    }

    private static byte[] get(Upstream upstream, String path) throws SumDbException {
        if (!upstream.breaker().tryAcquire()) {
            throw new SumDbUnreachableException(upstream.host() + " skipped: circuit open");
        }
        try (UpstreamResponse response = upstream.get(path)) {
            if (response.status() >= 500) {
                upstream.breaker().recordFailure();
            } else {
                upstream.breaker().recordSuccess();
            }
            if (response.notFound()) {
                throw new SumDbNotFoundException(upstream.host() + " answered " + response.status() + " for " + path);
            }
            if (!response.ok()) {
                throw new SumDbUnreachableException(upstream.host() + " answered " + response.status() + " for " + path);
            }
            try (InputStream body = response.body()) {
                byte[] data = body.readNBytes(HttpSumDbFetcher.MAX_ANSWER_BYTES + 1);
                if (data.length > HttpSumDbFetcher.MAX_ANSWER_BYTES) {
                    throw new SumDbException(upstream.host() + " sent more than " + HttpSumDbFetcher.MAX_ANSWER_BYTES + " bytes for " + path);
                }
                return data;
            }
        } catch (IOException e) {
            upstream.breaker().recordFailure();
            throw new SumDbUnreachableException(upstream.host() + " failed for " + path + ": " + e.getMessage(), e);
        }
    }
}
