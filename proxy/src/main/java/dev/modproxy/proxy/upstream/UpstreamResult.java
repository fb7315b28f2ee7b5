package dev.modproxy.proxy.upstream;

/**
 * What the chain produced: a value from the first upstream that answered usably, or the status
 * and one-line reason to give the client.
 *
 * @param contentRefused the refusal is of an answer's content ({@link UnusableAnswerException#contentRefused()}),
 *     and no upstream asked failed otherwise: asked again, the chain would say the same
 */
public record UpstreamResult<T>(T value, int status, String reason, boolean contentRefused) {

    public static <T> UpstreamResult<T> found(T value) {
        return new UpstreamResult<>(value, 200, null, false);
    }

    public static <T> UpstreamResult<T> refused(int status, String reason) {
        return new UpstreamResult<>(null, status, reason, false);
    }

    /** An answer that arrived whole and was refused for its content. */
    public static <T> UpstreamResult<T> contentRefused(int status, String reason) {
        return new UpstreamResult<>(null, status, reason, true);
    }

    public boolean found() {
        return status == 200;
    }

    /** 404/410: nothing exists anywhere in the chain; safe to cache briefly. */
    public boolean notFound() {
        return status == 404 || status == 410;
    }

    /**
     * 403 or 400: an upstream refuses this path to the cache (an allow-list, a policy, a host it does not serve), and
     * the chain stopped there. Passed on as it is and remembered as briefly as a 404, but never made one: a client's
     * {@code ,direct} would then fetch what the upstream blocks.
     */
    public boolean pathRefused() {
        return status == 403 || status == 400;
    }
}
