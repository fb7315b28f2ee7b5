package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The threads that read the tiles of proofs ahead ({@link SumDbVerifier#tileReaders}). */
class TileReadersTest {

    /**
     * Tiles read one after another are read by one thread, not by a new one each up to the 64 readers: after a cold
     * build with the checksum database on, all 64 were alive.
     */
    @Test
    void tilesReadOneAfterAnotherAreReadByOneThread() throws Exception {
        ThreadPoolExecutor readers = SumDbVerifier.tileReaders();
        try {
            for (int i = 0; i < 50; i++) {
                readers.submit(() -> {}).get(10, TimeUnit.SECONDS);
                waitUntilEveryThreadIsIdle(readers);
            }
            assertEquals(1, readers.getLargestPoolSize(), "tile reader threads made for 50 reads one after the other");
        } finally {
            readers.shutdownNow();
        }
    }

    /**
     * At most 64 tiles are read at once and 1,024 more wait; a read beyond them is refused, and its proof reads the
     * tile itself (SumDbVerifier.readTilesAhead).
     */
    @Test
    void sixtyFourReadAtOnceAThousandAndTwentyFourWaitAndMoreAreRefused() throws Exception {
        ThreadPoolExecutor readers = SumDbVerifier.tileReaders();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(64 + 1024);
        try {
            for (int i = 0; i < 64 + 1024; i++) {
                readers.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ran.countDown();
                });
            }
            assertEquals(64, readers.getPoolSize());
            assertEquals(1024, readers.getQueue().size());
            assertThrows(RejectedExecutionException.class, () -> readers.execute(() -> {}));
            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "every read that was taken ran");
            assertEquals(64, readers.getLargestPoolSize());
        } finally {
            readers.shutdownNow();
        }
    }

    private static void waitUntilEveryThreadIsIdle(ThreadPoolExecutor pool) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.getQueue() instanceof LinkedTransferQueue<Runnable> line
                && line.getWaitingConsumerCount() < pool.getPoolSize()) {
            assertTrue(System.nanoTime() < deadline, "threads idle within 10 s");
            Thread.onSpinWait();
        }
    }
}
