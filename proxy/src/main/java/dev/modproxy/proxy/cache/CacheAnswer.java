package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.storage.StoredObject;

/** What the HTTP layer should send. */
public sealed interface CacheAnswer {

    /** Send this stored object; {@code stale} when it is past its TTL and being refreshed. */
    record Hit(StoredObject object, boolean stale) implements CacheAnswer {}

    /** The response was already written through the {@link ClientStream}. */
    record Streamed() implements CacheAnswer {}

    /** Send this status with a one-line reason. */
    record Refused(int status, String reason) implements CacheAnswer {}
}
