package dev.modproxy.operator.warmup;

import dev.modproxy.operator.admin.ProxyAdmin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Hands a Ready cache's warm-up list to its proxy once per spec generation, then shows the progress the poller reads. */
@ApplicationScoped
public class WarmupDriver {

    private final ProxyAdmin proxy;

    /**
     * The warm-up status each cache (by UID) got when its list was handed over. The next reconciliation may still
     * see the cache as it was before that status was written (the informer lags the patch), and must not hand the
     * same generation's list over a second time.
     */
    private final Map<String, WarmupStatus> handedOver = new ConcurrentHashMap<>();

    public WarmupDriver(ProxyAdmin proxy) {
        this.proxy = proxy;
    }

    /**
     * The new status.warmup; call only while the cache is Ready. {@code polled} is the progress the poller last read
     * (CacheFiguresPoller): following a running warm-up sends no request from here.
     */
    public WarmupStatus step(GoProxyCache cache, KubernetesClient cluster, Optional<WarmupReading> polled) {
        WarmupStatus previous =
                cache.getStatus() == null ? null : cache.getStatus().getWarmup();
        if (!WarmupProgress.wanted(cache)) {
            return null;
        }
        try {
            if (WarmupProgress.due(cache)) {
                WarmupStatus already = handedOver.get(cache.getMetadata().getUid());
                if (already != null
                        && Objects.equals(
                                already.getSubmittedGeneration(),
                                cache.getMetadata().getGeneration())) {
                    return already;
                }
                Optional<String> goSum = goSum(cache, cluster);
                WarmupStatus accepted = WarmupProgress.accepted(
                        cache,
                        proxy.startWarmup(
                                cache, WarmupProgress.moduleList(cache.getSpec().getWarmup(), goSum)));
                handedOver.put(cache.getMetadata().getUid(), accepted);
                return accepted;
            }
            if (WarmupProgress.running(cache)) {
                // an answer read for an earlier list says nothing about this one
                return polled.filter(p -> Objects.equals(p.submittedGeneration(), previous.getSubmittedGeneration()))
                        .map(p -> WarmupProgress.progressed(cache, p.report()))
                        .orElse(previous);
            }
            return previous;
        } catch (MissingGoSum e) {
            return WarmupProgress.pending(cache, e.getMessage());
        } catch (ProxyAdmin.WarmupRefused e) {
            return e.busy()
                    ? WarmupProgress.pending(cache, "the proxy is still running an earlier warm-up")
                    : WarmupProgress.rejected(cache, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return WarmupProgress.due(cache)
                    ? WarmupProgress.pending(cache, "the proxy did not answer: " + e.getMessage())
                    : previous;
        }
    }

    private static Optional<String> goSum(GoProxyCache cache, KubernetesClient cluster) throws MissingGoSum {
        Warmup warmup = cache.getSpec().getWarmup();
        if (warmup.getGoSumConfigMap() == null) {
            return Optional.empty();
        }
        String key = warmup.getGoSumKey() == null ? Warmup.DEFAULT_GO_SUM_KEY : warmup.getGoSumKey();
        ConfigMap map = cluster.configMaps()
                .inNamespace(cache.getMetadata().getNamespace())
                .withName(warmup.getGoSumConfigMap())
                .get();
        if (map == null || map.getData() == null || !map.getData().containsKey(key)) {
            throw new MissingGoSum("ConfigMap " + warmup.getGoSumConfigMap() + " with key " + key
                    + " not found in namespace " + cache.getMetadata().getNamespace());
        }
        return Optional.of(map.getData().get(key));
    }

    private static class MissingGoSum extends Exception {
        MissingGoSum(String message) {
            super(message);
        }
    }
}
