package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.config.ProxyConfig;
import dev.modproxy.proxy.protocol.ModulePathPatterns;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.http.HttpClient;
import java.time.Clock;
import java.util.Optional;

/**
 * The checksum database MODPROXY_SUMDB names (default sum.golang.org), its cached answers, and
 * the verifier that checks ingested modules against it, unless it is "off".
 */
@Singleton
public class ChecksumDatabase {

    private final GoSumDbSetting setting;
    private final ModulePathPatterns exempt;
    private final SumDbCache cache;
    private final SumDbVerifier verifier;

    @Inject
    public ChecksumDatabase(ProxyConfig config, Storage storage, UpstreamChain chain) {
        try {
            setting = GoSumDbSetting.parse(config.sumdb().orElse(GoSumDbSetting.DEFAULT));
        } catch (SumDbException e) {
            throw new IllegalArgumentException("MODPROXY_SUMDB: " + e.getMessage(), e);
        }
        // As the go command does, GONOSUMDB includes GOPRIVATE.
        exempt = ModulePathPatterns.parse(config.nosumdb().orElse("") + "," + config.privatePatterns().orElse(""));
        if (setting.isOff()) {
            cache = null;
            verifier = null;
            return;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        Upstream database = new Upstream(setting.url().orElseThrow(), client, config.readTimeout(),
                new CircuitBreaker(config.breakerFailures(), config.breakerCoolDown()));
        VerifierKey key = setting.key().orElseThrow();
        cache = new SumDbCache(key, new UpstreamSumDbFetcher(key.name(), chain, database), storage,
                config.mutableTtl(), Clock.systemUTC());
        verifier = new SumDbVerifier(key, cache);
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
