package dev.modproxy.proxy.cache;

import java.util.concurrent.Semaphore;

/**
 * The heap that module zip checks running at once may take for the zip directories they hold. A check waits for its
 * share; a zip whose directory alone would take more than the whole budget is refused, naming the sizes.
 */
final class DirectoryBudget {

    /** Checks of small zips (a few thousand files) run without counting: they take too little to matter. */
    private static final long FREE = 1L << 20;

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
            throw new ArtifactRejectedException("interrupted while waiting to check the module zip");
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
