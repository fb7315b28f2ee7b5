package dev.modproxy.operator.reconciler;

/**
 * A write this replica did not send because it no longer leads (see {@link LeadershipFence}): the reconciliation that
 * asked for it ends with it, and the replica that leads now reconciles the cache.
 */
public final class FencedWriteException extends RuntimeException {

    FencedWriteException(String method, String path) {
        super(method + " " + path + " not sent: this replica no longer leads (the Lease was lost, or the process was "
                + "paused past the renew deadline); the leading replica writes the caches now");
    }
}
