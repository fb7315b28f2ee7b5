package dev.modproxy.proxy.cache;

import java.util.concurrent.Semaphore;

/**
 * The heap that module zip checks running at once may take for the zip directories they hold. A check waits for its
 * share; a zip whose directory alone would take more than the whole budget is refused, naming the sizes.
 */
final class DirectoryBudget {

    /**
     * Checks of small zips (up to about 200 files, most modules) run without counting: even as many as the proxy runs
     * downloads at once (MODPROXY_MAX_DOWNLOADS, 256) take 16 MiB.
     */
    private static final long FREE = 64L << 10;

    private final long bytes;
    private final Semaphore kibibytes;

    DirectoryBudget(long bytes) {
        this.bytes = bytes;
        this.kibibytes = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes >> 10), true);
    }

    void take(long heap) throws ArtifactRejectedException {
        if (heap <= FREE) {
            return;
        }
        if (heap > bytes) {
            throw new ArtifactRejectedException(
                    "module zip directory would take " + heap
                            + " bytes of heap to check, more than the " + bytes
                            + " this proxy gives zip checks (a quarter of its heap: raise -Xmx for modules of this many files)");
        }
        try {
            kibibytes.acquire(permits(heap));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckNotMadeException("interrupted while waiting to check the module zip");
        }
    }

    void give(long heap) {
        if (heap > FREE) {
            kibibytes.release(permits(heap));
        }
    }

    private static int permits(long heap) {
        return (int) ((heap + 1023) >> 10);
    }
}
