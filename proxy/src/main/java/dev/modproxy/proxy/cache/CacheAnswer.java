package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.storage.StoredObject;
import java.time.Instant;

/** What the HTTP layer should send. */
public sealed interface CacheAnswer {

    /** Send this stored object; {@code stale} when it is past its TTL and being refreshed. */
    record Hit(StoredObject object, boolean stale) implements CacheAnswer {}

    /** The response was already written through the {@link ClientStream}. */
    record Streamed() implements CacheAnswer {}

    /**
     * Send this status with a one-line reason; {@code since} is when the proxy was told it, so a remembered 404 is
     * as old as the upstream's answer and may be kept after the proxy only for what is left of the negative TTL.
     */
    record Refused(int status, String reason, Instant since) implements CacheAnswer {
        /** An answer the proxy was told just now. */
        public Refused(int status, String reason) {
            this(status, reason, Instant.now());
        }
    }
}
