package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundedThreadsTest {

    /** Work that comes one task at a time is done by one thread, not by a new one per task up to the maximum. */
    @Test
    void anIdleThreadTakesTheNextTaskBeforeANewOneIsMade() throws Exception {
        ThreadPoolExecutor pool = BoundedThreads.pool("test-bounded", 64);
        try {
            for (int i = 0; i < 50; i++) {
                pool.submit(() -> {}).get(10, TimeUnit.SECONDS);
                waitUntilEveryThreadIsIdle(pool);
            }
            assertEquals(1, pool.getLargestPoolSize(), "threads made for 50 tasks one after the other");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Beyond the maximum, tasks wait in line and every one of them runs; after shutdown they are refused. */
    @Test
    void atMostMaxThreadsAndTheRestWaitInLine() throws Exception {
        ThreadPoolExecutor pool = BoundedThreads.pool("test-bounded", 4);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(20);
        List<Future<?>> tasks = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                tasks.add(pool.submit(() -> {
                    release.await();
                    ran.countDown();
                    return null;
                }));
            }
            assertEquals(4, pool.getPoolSize());
            assertEquals(16, pool.getQueue().size());
            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "every task ran");
            for (Future<?> task : tasks) {
                task.get(10, TimeUnit.SECONDS);
            }
            assertEquals(4, pool.getLargestPoolSize());
        } finally {
            pool.shutdownNow();
        }
        assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
    }

    /** Every thread of the pool waits for work in its line (no sleeping: the line says how many wait). */
    private static void waitUntilEveryThreadIsIdle(ThreadPoolExecutor pool) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.getQueue() instanceof LinkedTransferQueue<Runnable> line
                && line.getWaitingConsumerCount() < pool.getPoolSize()) {
            assertTrue(System.nanoTime() < deadline, "threads idle within 10 s");
            Thread.onSpinWait();
        }
    }
}
