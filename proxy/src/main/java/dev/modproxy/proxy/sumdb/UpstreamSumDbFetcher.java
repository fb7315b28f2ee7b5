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

    private final String name;
    private final List<Upstream> proxies;
    private final Upstream database;

    public UpstreamSumDbFetcher(String name, UpstreamChain chain, Upstream database) {
        this.name = name;
        this.proxies = chain.entries().stream()
                .filter(UpstreamChain.Proxy.class::isInstance)
                .map(entry -> ((UpstreamChain.Proxy) entry).upstream())
                .toList();
        this.database = database;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        List<String> failures = new ArrayList<>();
        for (Upstream proxy : proxies) {
            try {
                return get(proxy, "sumdb/" + name + "/" + path);
            } catch (SumDbException e) {
                failures.add(e.getMessage());
            }
        }
        try {
            return get(database, path);
        } catch (SumDbNotFoundException e) {
            throw e;
        } catch (SumDbException e) {
            failures.add(e.getMessage());
            throw new SumDbException("checksum database " + name + " unreachable for " + path + ": " + String.join("; ", failures));
        }
    }

    private static byte[] get(Upstream upstream, String path) throws SumDbException {
        if (!upstream.breaker().tryAcquire()) {
            throw new SumDbException(upstream.host() + " skipped: circuit open");
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
                throw new SumDbException(upstream.host() + " answered " + response.status() + " for " + path);
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
            throw new SumDbException(upstream.host() + " failed for " + path + ": " + e.getMessage(), e);
        }
    }
}
