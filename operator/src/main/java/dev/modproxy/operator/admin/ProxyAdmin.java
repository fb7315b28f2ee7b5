package dev.modproxy.operator.admin;

import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import java.io.IOException;

/** A running cache's admin API (contract: {@link dev.modproxy.contract.admin.AdminPaths}). */
public interface ProxyAdmin {

    /** @throws IOException when the proxy cannot be reached or answers something other than its stats */
    CacheStats stats(GoProxyCache cache) throws IOException;

    /** Hands a module list to the proxy. @throws WarmupRefused when it answers 4xx (a bad line, or one already running) */
    WarmupReport startWarmup(GoProxyCache cache, String moduleList) throws IOException;

    WarmupReport warmup(GoProxyCache cache) throws IOException;

    /** The proxy refused the warm-up; {@code busy} when only because another one still runs. */
    class WarmupRefused extends IOException {
        private static final long serialVersionUID = 1L;
        private final boolean busy;

        public WarmupRefused(String message, boolean busy) {
            super(message);
            this.busy = busy;
        }

        public boolean busy() {
            return busy;
        }
    }
}
