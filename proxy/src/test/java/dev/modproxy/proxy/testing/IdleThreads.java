package dev.modproxy.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Waits for the threads of a pool made by BoundedThreads, without sleeping: its line says how many wait for work. */
public final class IdleThreads {

    private IdleThreads() {}

    /** Every thread of the pool waits for work in its line, within 10 s (a pool of another line: at once). */
    public static void waitUntilEveryThreadIsIdle(ThreadPoolExecutor pool) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.getQueue() instanceof LinkedTransferQueue<Runnable> line
                && line.getWaitingConsumerCount() < pool.getPoolSize()) {
            assertTrue(System.nanoTime() < deadline, "threads idle within 10 s");
            Thread.onSpinWait();
        }
    }
}
