package dev.modproxy.proxy.cache;

import static dev.modproxy.proxy.testing.IdleThreads.waitUntilEveryThreadIsIdle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
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

    /** A bounded line takes as many tasks as it has places; the next is refused, and every task it took runs. */
    @Test
    void aFullLineRefusesTheNextTask() throws Exception {
        ThreadPoolExecutor pool = BoundedThreads.pool("test-bounded", 2, 3, Duration.ofMinutes(1));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(5);
        try {
            for (int i = 0; i < 5; i++) {
                pool.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ran.countDown();
                });
            }
            assertEquals(2, pool.getPoolSize());
            assertEquals(3, pool.getQueue().size());
            RejectedExecutionException refused =
                    assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            assertEquals("3 tasks already wait for test-bounded threads", refused.getMessage());
            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "every task taken ran");
            assertEquals(0, pool.getQueue().size());
            // places free again: a task is taken
            pool.submit(() -> {}).get(10, TimeUnit.SECONDS);
            assertEquals(2, pool.getLargestPoolSize());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every thread ends once idle for the pool's idle time, none is kept; work that comes later makes one again. */
    @Test
    void everyIdleThreadEndsAndLaterWorkStillRuns() throws Exception {
        ThreadPoolExecutor pool = BoundedThreads.pool("test-bounded", 4, Integer.MAX_VALUE, Duration.ofMillis(50));
        CountDownLatch release = new CountDownLatch(1);
        List<Future<?>> tasks = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                tasks.add(pool.submit(() -> {
                    release.await();
                    return null;
                }));
            }
            assertEquals(4, pool.getPoolSize());
            release.countDown();
            for (Future<?> task : tasks) {
                task.get(10, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pool.getPoolSize() > 0) {
                assertTrue(
                        System.nanoTime() < deadline,
                        "every thread ended within 10 s, " + pool.getPoolSize() + " left");
                Thread.onSpinWait();
            }
            assertEquals("done", pool.submit(() -> "done").get(10, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }
}
