package dev.modproxy.operator.warmup;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import java.io.IOException;

/** Starts and follows a cache's warm-up on its proxy. */
public interface WarmupClient {

    /** @throws WarmupRefused when the proxy answers 4xx (a bad line, or one already running) */
    WarmupAnswer start(GoProxyCache cache, String moduleList) throws IOException;

    WarmupAnswer progress(GoProxyCache cache) throws IOException;

    /** The proxy refused the warm-up; {@code busy} when only because another one still runs. */
    class WarmupRefused extends IOException {
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
