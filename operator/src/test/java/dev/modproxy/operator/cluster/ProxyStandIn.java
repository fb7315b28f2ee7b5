package dev.modproxy.operator.cluster;

import dev.modproxy.contract.admin.AdminExamples;
import dev.modproxy.contract.admin.AdminPaths;
import dev.modproxy.operator.admin.AdminApiStub;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.List;
import java.util.Map;

/** A real HTTP server answering the proxy's admin API with the contract's golden answers, where the operator under test reads cache figures. */
public class ProxyStandIn implements QuarkusTestResourceLifecycleManager {

    private static final String WARMUP = AdminPaths.WARMUP;

    private static volatile AdminApiStub proxy;

    /** Warm-up lists the operator posted, in order. */
    public static List<String> warmupPosts() {
        return proxy.posted(WARMUP);
    }

    @Override
    public Map<String, String> start() {
        proxy = AdminApiStub.start()
                // the contract's golden answers, which the proxy's tests check it writes exactly
                .answer(AdminPaths.STATS, 200, AdminExamples.CACHE_STATS.json())
                // accepts any list, then reports it finished with one failure, as the proxy does after a 404
                .answer(
                        WARMUP,
                        (method, body) -> "POST".equals(method)
                                ? new AdminApiStub.Answer(202, AdminExamples.WARMUP_RUNNING.json())
                                : new AdminApiStub.Answer(200, AdminExamples.WARMUP_FINISHED.json()));
        return Map.of("modproxy.operator.proxy-url-override", proxy.baseUrl());
    }

    @Override
    public void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }
}
