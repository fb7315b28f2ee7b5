package dev.modproxy.proxy.cache;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one stepping mechanism under a bucket hit's stream and a cold zip's first client, on its own: a source that
 * ends, one that fails midway, a slow client (no thread held while it has no room), a reset response; and the
 * mistakes such a class can make: two steps at once, a lost wake-up, a step after the end, a slice written twice.
 */
class PacedSenderTest {

    private static final int SLICE = 1024;

    private final List<ExecutorService> pools = new ArrayList<>();

    @AfterEach
    void stopPools() {
        pools.forEach(ExecutorService::shutdownNow);
    }

    private ThreadPoolExecutor pool(int threads) {
        ThreadPoolExecutor pool = BoundedThreads.pool("paced-sender-test", threads);
        pools.add(pool);
        return pool;
    }

    /** Polled every few milliseconds: the steps here take microseconds. */
    private static ConditionFactory soon() {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2));
    }

    private static byte[] content(int length) {
        byte[] content = new byte[length];
        new Random(length).nextBytes(content);
        return content;
    }

    /**
     * A response with a window of room, counted as ResponseStream counts it: a write takes room, the test gives it
     * back ({@link #take}), a continuation waits for it. It fails the test on a write without room, on two writes at
     * once, and on a second continuation waiting.
     */
    private static class Client implements ClientStream {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger ends = new AtomicInteger();
        final AtomicInteger aborts = new AtomicInteger();
        final List<String> faults = new ArrayList<>();
        private final AtomicInteger writing = new AtomicInteger();
        // guarded by this
        private long room;
        private boolean gone;
        private Runnable parked;
        private int parkedLength;

        Client(long room) {
            this.room = room;
        }

        synchronized void fault(String what) {
            faults.add(what);
        }

        @Override
        public void begin(long contentLength) {}

        @Override
        public void write(byte[] chunk) throws IOException {
            if (writing.incrementAndGet() > 1) {
                fault("two writes at once");
            }
            try {
                synchronized (this) {
                    if (gone) {
                        throw new IOException("client gone");
                    }
                    if (parked != null) {
                        fault("a write while a continuation waits for room");
                    }
                    if (chunk.length > room) {
                        fault("a write of " + chunk.length + " with room for " + room);
                    }
                    room -= chunk.length;
                    body.write(chunk, 0, chunk.length);
                }
                writes.incrementAndGet();
            } finally {
                writing.decrementAndGet();
            }
        }

        @Override
        public void whenRoom(int length, Runnable next) {
            synchronized (this) {
                if (parked != null) {
                    fault("a second continuation waiting for room");
                }
                if (!gone && room < length) {
                    parked = next;
                    parkedLength = length;
                    return;
                }
            }
            roomNow(next);
        }

        /** Runs a continuation whose room is there at once; here, on this thread. */
        void roomNow(Runnable next) {
            next.run();
        }

        /** The client took bytes off its socket: room for them, and a waiting continuation runs if it fits. */
        void take(long bytes) {
            Runnable resume = null;
            synchronized (this) {
                room += bytes;
                if (parked != null && room >= parkedLength) {
                    resume = parked;
                    parked = null;
                }
            }
            if (resume != null) {
                resume.run();
            }
        }

        /** The client went away: a waiting continuation runs, and finds the next write refused. */
        void leave() {
            Runnable resume;
            synchronized (this) {
                gone = true;
                resume = parked;
                parked = null;
            }
            if (resume != null) {
                resume.run();
            }
        }

        synchronized boolean waitingForRoom() {
            return parked != null;
        }

        synchronized byte[] body() {
            return body.toByteArray();
        }

        @Override
        public void end() {
            ends.incrementAndGet();
        }

        @Override
        public void abort() {
            aborts.incrementAndGet();
            leave();
        }

        @Override
        public void retract() {
            fault("retract: the sender never takes a response back");
        }
    }

    /**
     * Gives a content slice by slice as far as it is released ({@link #release}), then its end; fails the test on two
     * steps at once and on a step after the send is over.
     */
    private static class Source implements PacedSender.Source {
        final byte[] content;
        final Client client;
        final AtomicInteger steps = new AtomicInteger();
        final AtomicInteger overs = new AtomicInteger();
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicInteger noThreads = new AtomicInteger();
        final AtomicInteger abandons = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicInteger failures = new AtomicInteger();
        private final AtomicInteger stepping = new AtomicInteger();
        // guarded by this
        private int released;
        private int given;
        /** Said instead of the slice at this offset, when set. */
        private int failAt = -1;

        private int resetAt = -1;
        boolean letGo;
        PacedSender sender;

        Source(byte[] content, Client client) {
            this.content = content;
            this.client = client;
            this.released = content.length;
        }

        PacedSender sender(Executor pool, int slicesPerRun) {
            sender = new PacedSender(client, pool, SLICE, slicesPerRun, this);
            return sender;
        }

        synchronized void release(int upTo) {
            released = upTo;
        }

        synchronized int given() {
            return given;
        }

        /** What a source tells its sender after giving it more: wake it when there is something for it. */
        boolean released(int upTo) {
            release(upTo);
            return sender.wake();
        }

        @Override
        public PacedSender.Next next() throws IOException {
            if (stepping.incrementAndGet() > 1) {
                client.fault("two steps at once");
            }
            try {
                if (overs.get() > 0) {
                    client.fault("a step after the send was over");
                }
                steps.incrementAndGet();
                PacedSender.Next next = take();
                if (next == PacedSender.Next.WAIT) {
                    nothingYet();
                }
                return next;
            } finally {
                stepping.decrementAndGet();
            }
        }

        synchronized PacedSender.Next take() throws IOException {
            if (given == failAt) {
                throw new IOException("the source failed at " + given);
            }
            if (given == resetAt) {
                return PacedSender.Next.RESET;
            }
            if (given >= content.length) {
                return PacedSender.Next.END;
            }
            if (given >= released) {
                return PacedSender.Next.WAIT;
            }
            int end = Math.min(given + SLICE, released);
            byte[] slice = Arrays.copyOfRange(content, given, end);
            given = end;
            return given == content.length ? PacedSender.Next.last(slice) : PacedSender.Next.slice(slice);
        }

        /** The step found nothing released, and is about to say so. */
        void nothingYet() {}

        @Override
        public void failed(Throwable e) {
            failures.incrementAndGet();
            failure.set(e);
            client.abort();
        }

        @Override
        public boolean noThread(Throwable e) {
            noThreads.incrementAndGet();
            if (!letGo) {
                client.abort();
            }
            return letGo;
        }

        @Override
        public void abandoned() {
            abandons.incrementAndGet();
            client.abort();
        }

        @Override
        public void over() {
            overs.incrementAndGet();
            ended.countDown();
        }
    }

    /** Runs the steps handed to it when told to, on the test's thread: what is queued is seen. */
    private static final class Line implements Executor {
        final Deque<Runnable> queued = new ArrayDeque<>();
        int handed;

        @Override
        public synchronized void execute(Runnable step) {
            handed++;
            queued.add(step);
        }

        synchronized Runnable next() {
            return queued.poll();
        }

        synchronized int size() {
            return queued.size();
        }

        void runAll() {
            for (Runnable step = next(); step != null; step = next()) {
                step.run();
            }
        }
    }

    private static void assertClean(Client client) {
        synchronized (client) {
            assertEquals(List.of(), client.faults);
        }
    }

    @Test
    void aSourceThatEndsIsWrittenWholeOnceAndItsResponseCompleted() {
        byte[] content = content(16 * SLICE);
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content, client);
        Line line = new Line();
        PacedSender sender = source.sender(line, 4);

        assertTrue(sender.wake());
        assertEquals(1, line.size(), "the first step is handed to the pool, not run on the caller's thread");
        assertEquals(0, source.steps.get());
        line.runAll();

        assertArrayEquals(content, client.body());
        assertEquals(1, client.ends.get());
        assertEquals(0, client.aborts.get());
        assertEquals(1, source.overs.get());
        assertEquals(4, line.handed, "16 slices, 4 a run while the client has room: the thread left to others");
        assertEquals(16, source.steps.get());

        assertTrue(sender.wake(), "a wake after the end");
        line.runAll();
        assertEquals(16, source.steps.get(), "a step after the end");
        assertEquals(1, source.overs.get());
        assertClean(client);
    }

    @Test
    void anEmptySourceEndsItsResponseWithoutAWrite() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(new byte[0], client);
        Line line = new Line();
        source.sender(line, 16).wake();
        line.runAll();

        assertEquals(0, client.writes.get());
        assertEquals(1, client.ends.get());
        assertEquals(1, source.overs.get());
        assertClean(client);
    }

    @Test
    void aSourceThatFailsMidwayEndsTheSendOnceAndIsAskedNoMore() {
        byte[] content = content(10 * SLICE);
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content, client);
        source.failAt = 3 * SLICE;
        Line line = new Line();
        PacedSender sender = source.sender(line, 16);
        sender.wake();
        line.runAll();

        assertArrayEquals(Arrays.copyOf(content, 3 * SLICE), client.body());
        assertEquals(1, source.failures.get());
        assertTrue(source.failure.get().getMessage().contains("failed at " + 3 * SLICE), source.failure.toString());
        assertEquals(0, client.ends.get(), "a response completed after its source failed");
        assertEquals(1, source.overs.get());
        assertEquals(4, source.steps.get());

        sender.wake();
        line.runAll();
        assertEquals(4, source.steps.get(), "a step after the failure");
        assertEquals(1, source.overs.get());
        assertClean(client);
    }

    @Test
    void anErrorInAStepFailsTheSendToo() {
        Client client = new Client(Long.MAX_VALUE) {
            @Override
            public void write(byte[] chunk) {
                throw new OutOfMemoryError("Java heap space");
            }
        };
        Source source = new Source(content(4 * SLICE), client);
        Line line = new Line();
        source.sender(line, 16).wake();
        line.runAll();

        assertEquals(1, source.failures.get());
        assertTrue(source.failure.get() instanceof OutOfMemoryError);
        assertEquals(1, source.overs.get());
        assertEquals(1, source.steps.get());
    }

    /**
     * A source's rule for a failure, a refused thread or an abandoned step may itself throw (a bucket hit's 503 put on
     * a response written to meanwhile: Vert.x refuses the header): the send still ends, once, and the source is told
     * to release what it holds (the object's stream, the staged file); the exception is not swallowed.
     */
    @Test
    void aSourceWhoseEndingRuleThrowsStillReleasesWhatItHolds() {
        Client client = new Client(Long.MAX_VALUE);
        Source failing = new Source(content(4 * SLICE), client) {
            @Override
            public void failed(Throwable e) {
                super.failed(e);
                throw new IllegalStateException("Response head already sent");
            }
        };
        failing.failAt = SLICE;
        Line line = new Line();
        failing.sender(line, 16).wake();
        assertThrows(IllegalStateException.class, line::runAll);
        assertEquals(1, failing.failures.get());
        assertEquals(1, failing.overs.get(), "the source was told the send is over");

        Source refused = new Source(content(4 * SLICE), new Client(Long.MAX_VALUE)) {
            @Override
            public boolean noThread(Throwable e) {
                super.noThread(e);
                throw new IllegalStateException("Response head already sent");
            }
        };
        PacedSender sender = refused.sender(
                step -> {
                    throw new RejectedExecutionException("shut down");
                },
                16);
        assertThrows(IllegalStateException.class, sender::wake);
        assertEquals(1, refused.overs.get(), "the source was told the send is over");

        Source abandoned = new Source(content(4 * SLICE), new Client(Long.MAX_VALUE)) {
            @Override
            public void abandoned() {
                super.abandoned();
                throw new IllegalStateException("Response head already sent");
            }
        };
        Line queue = new Line();
        abandoned.sender(queue, 16).wake();
        Runnable queued = queue.next();
        assertThrows(IllegalStateException.class, () -> PacedSender.abandon(queued));
        assertEquals(1, abandoned.overs.get(), "the source was told the send is over");
        queued.run();
        assertEquals(0, abandoned.steps.get(), "a step after the send was abandoned");
    }

    @Test
    void aSliceLargerThanTheRoomAskedForIsRefusedNotWritten() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content(4 * SLICE), client) {
            @Override
            synchronized PacedSender.Next take() {
                return PacedSender.Next.slice(new byte[SLICE + 1]);
            }
        };
        Line line = new Line();
        source.sender(line, 16).wake();
        line.runAll();

        assertEquals(0, client.writes.get());
        assertTrue(source.failure.get() instanceof IllegalStateException, String.valueOf(source.failure.get()));
        assertEquals(1, source.overs.get());
    }

    /**
     * A client with no room: the step that wrote what fitted returns its thread, and nothing runs until the client
     * takes bytes; a wake meanwhile (the source has more) starts no second step.
     */
    @Test
    void aSlowClientHoldsNoThreadWhileItHasNoRoom() throws Exception {
        byte[] content = content(12 * SLICE);
        Client client = new Client(2 * SLICE);
        Source source = new Source(content, client);
        ThreadPoolExecutor pool = pool(2);
        PacedSender sender = source.sender(pool, 16);
        sender.wake();

        soon().until(client::waitingForRoom);
        soon().until(() -> pool.getActiveCount() == 0);
        assertEquals(2 * SLICE, client.body().length);
        assertEquals(0, pool.getQueue().size());

        assertTrue(sender.wake(), "the source has more");
        // for 100 ms no step: one it wrongly started would write without room, or step beside the waiting one
        await().during(Duration.ofMillis(100))
                .atMost(Duration.ofSeconds(2))
                .until(() -> source.steps.get() == 2 && pool.getActiveCount() == 0);
        assertEquals(2, source.steps.get(), "a step while the client has no room");
        assertEquals(0, pool.getActiveCount());

        for (int taken = 2; taken < 12; taken++) {
            int before = client.body().length;
            client.take(SLICE);
            soon().until(() -> client.body().length > before || client.ends.get() > 0);
            soon().until(() -> client.waitingForRoom() || client.ends.get() > 0);
            assertEquals(before + SLICE, client.body().length, "one slice for one slice of room");
        }
        soon().until(() -> source.overs.get() == 1);
        assertArrayEquals(content, client.body());
        assertEquals(1, client.ends.get());
        assertClean(client);
    }

    /** A client that leaves while the step waits for room: its continuation's step fails on the write, once. */
    @Test
    void aClientThatLeavesWhileWaitingForRoomEndsTheSendOnce() {
        Client client = new Client(2 * SLICE);
        Source source = new Source(content(8 * SLICE), client);
        Line line = new Line();
        PacedSender sender = source.sender(line, 16);
        sender.wake();
        line.runAll();
        assertTrue(client.waitingForRoom());
        assertEquals(0, line.size(), "a step queued while the client has no room");

        client.leave();
        assertEquals(1, line.size(), "the continuation hands the next step to the pool, nothing more");
        line.runAll();

        assertEquals(1, source.failures.get());
        assertTrue(source.failure.get() instanceof IOException);
        assertEquals(1, source.overs.get());
        assertEquals(0, client.ends.get());
        assertEquals(3, source.steps.get());
        sender.wake();
        line.runAll();
        assertEquals(3, source.steps.get(), "a step after the client left");
    }

    @Test
    void aResetResponseIsResetOnceAndGetsNoStepAfter() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content(8 * SLICE), client);
        source.resetAt = 2 * SLICE;
        Line line = new Line();
        PacedSender sender = source.sender(line, 16);
        sender.wake();
        line.runAll();

        assertEquals(2 * SLICE, client.body().length);
        assertEquals(1, client.aborts.get());
        assertEquals(0, client.ends.get());
        assertEquals(1, source.overs.get());
        assertEquals(0, source.failures.get());

        source.released(8 * SLICE);
        line.runAll();
        assertEquals(3, source.steps.get(), "a step after the reset");
        assertEquals(1, client.aborts.get());
        assertClean(client);
    }

    @Test
    void aLeftResponseIsNotTouched() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content(8 * SLICE), client) {
            @Override
            synchronized PacedSender.Next take() {
                return PacedSender.Next.LEAVE;
            }
        };
        Line line = new Line();
        source.sender(line, 16).wake();
        line.runAll();

        assertEquals(0, client.writes.get());
        assertEquals(0, client.ends.get());
        assertEquals(0, client.aborts.get());
        assertEquals(1, source.overs.get());
    }

    /** A source with nothing yet: the sender waits for it, holding no thread; one wake, one step. */
    @Test
    void aSourceWithNothingYetIsWaitedForWithoutAThread() {
        byte[] content = content(6 * SLICE);
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content, client);
        source.release(0);
        Line line = new Line();
        PacedSender sender = source.sender(line, 16);

        sender.wake();
        line.runAll();
        assertEquals(1, source.steps.get());
        assertEquals(0, line.size());

        assertTrue(source.released(2 * SLICE));
        assertTrue(source.released(3 * SLICE)); // before the step ran: no second step queued
        assertEquals(1, line.size(), "two steps for one send");
        line.runAll();
        assertArrayEquals(Arrays.copyOf(content, 3 * SLICE), client.body());

        assertTrue(source.released(6 * SLICE));
        line.runAll();
        assertArrayEquals(content, client.body());
        assertEquals(1, client.ends.get());
        assertEquals(1, source.overs.get());
        assertClean(client);
    }

    /**
     * The source releases more, and wakes the sender, after its step found nothing but before the step said so: the
     * sender must look again, or the send waits for ever for a wake that came.
     */
    @Test
    void aWakeWhileTheStepFindsNothingIsNotLost() throws Exception {
        byte[] content = content(4 * SLICE);
        Client client = new Client(Long.MAX_VALUE);
        AtomicInteger raced = new AtomicInteger();
        Source source = new Source(content, client) {
            @Override
            void nothingYet() {
                if (raced.getAndIncrement() == 0) {
                    // the download thread releases the rest and wakes the sender now, while this step is asking
                    Thread download = new Thread(() -> released(content.length));
                    download.start();
                    try {
                        download.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        source.release(SLICE);
        ThreadPoolExecutor pool = pool(1);
        source.sender(pool, 16).wake();

        soon().until(() -> source.overs.get() == 1);
        assertArrayEquals(content, client.body());
        assertEquals(1, client.ends.get());
        assertEquals(1, raced.get());
        assertClean(client);
    }

    /**
     * Room that comes on another thread while the step is asking for it (a write's completion on the event loop):
     * exactly one of the step going on and the continuation handing the next step to the pool happens.
     */
    @Test
    void roomThatComesOnAnotherThreadWhileTheStepAsksIsTakenOnce() throws Exception {
        ExecutorService loop = Executors.newSingleThreadExecutor();
        pools.add(loop);
        // the continuation runs on the other thread and is done before whenRoom returns: room came first
        byte[] content = content(8 * SLICE);
        Client first = new Client(Long.MAX_VALUE) {
            @Override
            void roomNow(Runnable next) {
                try {
                    loop.submit(next).get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        };
        Source source = new Source(content, first);
        Line line = new Line();
        source.sender(line, 16).wake();
        line.runAll();
        assertArrayEquals(content, first.body());
        assertEquals(1, line.handed, "the step went on on its thread: the continuation queued none");
        assertClean(first);

        // the continuation runs on the other thread at any moment: 200 sends, each slice once, one step at a time
        ThreadPoolExecutor pool = pool(4);
        for (int round = 0; round < 200; round++) {
            byte[] bytes = content(20 * SLICE + round);
            Client client = new Client(Long.MAX_VALUE) {
                @Override
                void roomNow(Runnable next) {
                    loop.execute(next);
                }
            };
            Source racing = new Source(bytes, client);
            racing.sender(pool, 3).wake();
            assertTrue(racing.ended.await(10, TimeUnit.SECONDS), "round " + round + " never ended");
            assertArrayEquals(bytes, client.body(), "round " + round);
            assertEquals(1, client.ends.get());
            assertClean(client);
        }
    }

    @Test
    void noThreadBeforeAnyByteLetsTheClientGoWhenTheSourceSaysSo() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content(4 * SLICE), client);
        source.letGo = true;
        PacedSender sender = source.sender(
                step -> {
                    throw new OutOfMemoryError("unable to create native thread");
                },
                16);

        assertFalse(sender.wake(), "the source let the client go: its caller answers it");
        assertEquals(1, source.noThreads.get());
        assertEquals(1, source.overs.get());
        assertEquals(0, source.steps.get());
        assertEquals(0, client.aborts.get());

        assertTrue(sender.wake());
        assertEquals(1, source.noThreads.get(), "a send over asked the pool again");
    }

    @Test
    void aPoolThatRefusesAStepMidwayEndsTheSendOnce() {
        byte[] content = content(10 * SLICE);
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content, client);
        Line line = new Line();
        AtomicInteger handed = new AtomicInteger();
        PacedSender sender = source.sender(
                step -> {
                    if (handed.incrementAndGet() > 1) {
                        throw new RejectedExecutionException("shut down");
                    }
                    line.execute(step);
                },
                2);
        assertTrue(sender.wake());
        line.runAll();

        assertEquals(2 * SLICE, client.body().length, "the run's two slices, then no thread for the next");
        assertEquals(1, source.noThreads.get());
        assertEquals(1, client.aborts.get());
        assertEquals(1, source.overs.get());
        assertEquals(0, client.ends.get());
        assertEquals(2, source.steps.get());
    }

    @Test
    void aQueuedStepOfAShutDownPoolIsAbandonedOnceAndNeverRuns() {
        Client client = new Client(Long.MAX_VALUE);
        Source source = new Source(content(4 * SLICE), client);
        Line line = new Line();
        source.sender(line, 16).wake();
        Runnable queued = line.next();

        PacedSender.abandon(queued);
        PacedSender.abandon(queued);
        PacedSender.abandon(() -> {}); // not a sender's: left alone
        assertEquals(1, source.abandons.get());
        assertEquals(1, client.aborts.get());
        assertEquals(1, source.overs.get());

        queued.run();
        assertEquals(0, source.steps.get(), "a step after the send was abandoned");
        assertEquals(1, source.overs.get(), "the send ended twice");
        assertEquals(1, client.aborts.get());
        assertNull(line.next());
        assertSame(null, source.failure.get());
    }
}
