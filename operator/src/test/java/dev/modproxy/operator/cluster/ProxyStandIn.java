package dev.modproxy.operator.cluster;

import dev.modproxy.operator.admin.AdminApiStub;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.List;
import java.util.Map;

/** A real HTTP server answering the proxy's admin API, where the operator under test reads cache figures. */
public class ProxyStandIn implements QuarkusTestResourceLifecycleManager {

    public static final String STATS = "{\"sizeBytes\":3435973837,\"entries\":1200,\"hits\":930,\"misses\":70,"
            + "\"hitRatio\":0.93,\"evictions\":12,\"lastWarmup\":{\"finishedAt\":\"2026-11-23T22:00:00Z\","
            + "\"requested\":40,\"failed\":1},\"upstreams\":[]}";
    private static final String WARMUP = "/admin/warmup";

    private static volatile AdminApiStub proxy;

    /** Warm-up lists the operator posted, in order. */
    public static List<String> warmupPosts() {
        return proxy.posted(WARMUP);
    }

    @Override
    public Map<String, String> start() {
        proxy = AdminApiStub.start()
                .answer("/admin/stats", 200, STATS)
                // accepts any list, then reports it finished with one failure, as the proxy does after a 404
                .answer(WARMUP, (method, body) -> "POST".equals(method)
                        ? new AdminApiStub.Answer(202,
                                "{\"state\":\"running\",\"requested\":3,\"completed\":0,\"failed\":0,\"failures\":[]}")
                        : new AdminApiStub.Answer(200, "{\"state\":\"finished\",\"requested\":3,\"completed\":3,"
                                + "\"failed\":1,\"failures\":[{\"module\":\"example.com/gone\",\"version\":\"v1.0.0\","
                                + "\"artifact\":\"zip\",\"status\":404,\"reason\":\"not found upstream\"}]}"));
        return Map.of("modproxy.operator.proxy-url-override", proxy.baseUrl());
    }

    @Override
    public void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }
}
