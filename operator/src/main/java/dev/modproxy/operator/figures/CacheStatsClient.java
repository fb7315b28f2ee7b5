package dev.modproxy.operator.figures;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import java.io.IOException;

/** Reads a running cache's own figures from its proxy. */
public interface CacheStatsClient {

    /** @throws IOException when the proxy cannot be reached or answers something other than its stats */
    CacheStats read(GoProxyCache cache) throws IOException;
}
