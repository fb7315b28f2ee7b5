package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.testing.IdleThreads.waitUntilEveryThreadIsIdle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checksum database's two pools of work ahead of a download: the tile readers ({@link SumDbVerifier#tileReaders})
 * and the provers ({@link SumDbArtifactVerifier#provers}).
 */
class SumDbThreadsTest {

    static Stream<Arguments> pools() {
        return Stream.of(
                Arguments.of("tile readers", (Supplier<ThreadPoolExecutor>) SumDbVerifier::tileReaders, 64, 1024),
                Arguments.of("provers", (Supplier<ThreadPoolExecutor>) SumDbArtifactVerifier::provers, 8, 256));
    }

    /**
     * Work handed in one task after another runs on one thread, not on a new one each up to the pool's maximum: after
     * a cold build with the checksum database on, all 64 tile readers (and the 8 provers) were alive.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void tasksOneAfterAnotherRunOnOneThread(String pool, Supplier<ThreadPoolExecutor> make, int threads, int waiting)
            throws Exception {
        ThreadPoolExecutor executor = make.get();
        try {
            for (int i = 0; i < 50; i++) {
                executor.submit(() -> {}).get(10, TimeUnit.SECONDS);
                waitUntilEveryThreadIsIdle(executor);
            }
            assertEquals(1, executor.getLargestPoolSize(), pool + " threads made for 50 tasks one after the other");
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * At most the pool's threads work at once and its line's tasks wait; a task beyond them is refused, and the
     * caller does the work itself later (SumDbVerifier.readTilesAhead reads the tile in its proof,
     * SumDbArtifactVerifier.fetchStarts leaves the proof to the download's end).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void theThreadsWorkAtOnceTheLineWaitsAndMoreIsRefused(
            String pool, Supplier<ThreadPoolExecutor> make, int threads, int waiting) throws Exception {
        ThreadPoolExecutor executor = make.get();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ran = new CountDownLatch(threads + waiting);
        try {
            for (int i = 0; i < threads + waiting; i++) {
                executor.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ran.countDown();
                });
            }
            assertEquals(threads, executor.getPoolSize(), pool + " at work");
            assertEquals(waiting, executor.getQueue().size(), pool + " tasks waiting");
            assertThrows(RejectedExecutionException.class, () -> executor.execute(() -> {}));
            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "every task that was taken ran");
            assertEquals(threads, executor.getLargestPoolSize());
        } finally {
            executor.shutdownNow();
        }
    }
}
