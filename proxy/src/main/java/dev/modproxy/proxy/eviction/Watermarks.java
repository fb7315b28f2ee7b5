package dev.modproxy.proxy.eviction;

import dev.modproxy.contract.ByteSize;
import java.util.OptionalLong;

/**
 * When eviction starts (high) and where it stops (low), as fractions of the volume holding the
 * cache, and optionally of an absolute size cap for the cache itself.
 */
public record Watermarks(double high, double low, OptionalLong maxSizeBytes) {

    public Watermarks {
        if (!(low > 0 && low < high && high <= 1)) {
            throw new IllegalArgumentException(
                    "MODPROXY_EVICTION_LOW_WATERMARK and MODPROXY_EVICTION_HIGH_WATERMARK need "
                            + "0% < low < high <= 100% (or fractions 0 < low < high <= 1), got high=" + percent(high)
                            + " low=" + percent(low));
        }
        if (maxSizeBytes.isPresent() && maxSizeBytes.getAsLong() <= 0) {
            throw new IllegalArgumentException("MODPROXY_MAX_SIZE must be positive, got " + maxSizeBytes.getAsLong());
        }
    }

    public static Watermarks parse(String high, String low, String maxSize) {
        return new Watermarks(
                fraction("MODPROXY_EVICTION_HIGH_WATERMARK", high),
                fraction("MODPROXY_EVICTION_LOW_WATERMARK", low),
                maxSize == null || maxSize.isBlank() ? OptionalLong.empty() : OptionalLong.of(ByteSize.parse(maxSize)));
    }

    /** "0.9", "90%" or "90" (read as percent, since a fraction above 1 means nothing here). */
    static double fraction(String name, String text) {
        String t = text.trim();
        try {
            if (t.endsWith("%")) {
                return Double.parseDouble(t.substring(0, t.length() - 1).trim()) / 100;
            }
            double value = Double.parseDouble(t);
            return value > 1 ? value / 100 : value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a fraction (0.9) or a percentage (90%), got '" + text + "'");
        }
    }

    /** As a log line reads it: "90% (down to 75%) of the volume", plus the cap when there is one. */
    @Override
    public String toString() {
        String bounds = percent(high) + " (down to " + percent(low) + ") of the volume";
        return maxSizeBytes.isEmpty()
                ? bounds
                : bounds + " or of MODPROXY_MAX_SIZE " + maxSizeBytes.getAsLong() + " bytes";
    }

    private static String percent(double fraction) {
        double percent = fraction * 100;
        return (percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent)) + "%";
    }

    /**
     * Bytes to remove now: zero while both the volume and the cache cap are under the high mark,
     * otherwise enough to bring whichever is over back to the low mark.
     */
    public long bytesToFree(long cacheBytes, long volumeTotal, long volumeUsed) {
        boolean volumeOver = volumeTotal > 0 && volumeUsed > high * volumeTotal;
        boolean capOver = maxSizeBytes.isPresent() && cacheBytes > high * maxSizeBytes.getAsLong();
        if (!volumeOver && !capOver) {
            return 0;
        }
        long free = 0;
        if (volumeTotal > 0 && volumeUsed > low * volumeTotal) {
            free = volumeUsed - (long) (low * volumeTotal);
        }
        if (maxSizeBytes.isPresent() && cacheBytes > low * maxSizeBytes.getAsLong()) {
            free = Math.max(free, cacheBytes - (long) (low * maxSizeBytes.getAsLong()));
        }
        return free;
    }
}
