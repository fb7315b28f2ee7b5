package dev.modproxy.proxy.cache;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a source to a client's response a slice at a time, at the client's pace, on a bounded pool of threads. A step
 * takes a slice from the {@link Source} on a pool thread and writes it; while the response has room, the next step
 * follows on the same thread (at most {@code slicesPerRun} of them, then the thread is left to the other sends); when
 * it has none, the next step waits, holding no thread, until the client has taken some ({@link ClientStream#whenRoom})
 * and is then handed to the pool. A source with nothing to give yet says {@link Next#WAIT}, and {@link #wake wakes} the
 * sender when it has. The send ends as the source says: the response completed, reset, or left alone (the source's
 * again).
 *
 * <p>Whoever calls it, on whichever thread: steps run one at a time, never two at once; none runs after the send is
 * over; a wake that comes while a step takes its slice is not lost (the step asks the source again before it waits);
 * each slice is written once; {@link Source#over} is called once, however the send ended. What a slice is, when the
 * stream is whole, and what a failure or the want of a thread does to the response (a reset, an answer in its place,
 * letting the client go) are the source's rules.
 *
 * <p>Two sources use it: a bucket hit's stream ({@code http.GoProxyRoutes}) and a cold zip's staged file followed for
 * its first client ({@link ClientTee}).
 */
public final class PacedSender implements Runnable {

    /** Where the slices come from, and what the end of the send does to the response and to what the source holds. */
    public interface Source {

        /**
         * On a pool thread, one step at a time: the next slice (of at most the sender's slice length), or how the send
         * ends. Throwing fails the send ({@link #failed}).
         */
        Next next() throws IOException;

        /**
         * A step threw (the source, or the client's write, which throws once the client is gone; an Error too): ends
         * the response as the source's rules say.
         */
        void failed(Throwable e);

        /**
         * No thread could be had for a step (the pool refused it: shut down, or no thread to be made). Ends the
         * response as the source's rules say, or lets the client go (true): then {@link #wake} returns false, and its
         * caller answers the client another way.
         */
        boolean noThread(Throwable e);

        /** A step that a pool shut down with it queued never ran ({@link #abandon}): ends the response. */
        void abandoned();

        /** The send is over, however it ended: releases what the source holds. Called once, after the response's end. */
        void over();
    }

    /** What the source gives a step: a slice to write, or how the send ends. */
    public static final class Next {

        private enum Kind {
            SLICE,
            LAST,
            WAIT,
            END,
            RESET,
            LEAVE
        }

        /** Nothing to send yet: the sender waits, holding no thread, until the source {@link #wake wakes} it. */
        public static final Next WAIT = new Next(Kind.WAIT, null);
        /** Everything went out: the response is completed. */
        public static final Next END = new Next(Kind.END, null);
        /** The response is reset: the client sees a failed download, not a short one taken for whole. */
        public static final Next RESET = new Next(Kind.RESET, null);
        /** The response is not the sender's (taken back by the source, or already ended): it is left alone. */
        public static final Next LEAVE = new Next(Kind.LEAVE, null);

        private final Kind kind;
        private final byte[] bytes;

        private Next(Kind kind, byte[] bytes) {
            this.kind = kind;
            this.bytes = bytes;
        }

        /** A slice to write, more to follow; the response owns the array ({@link ClientStream#write}). */
        public static Next slice(byte[] bytes) {
            return new Next(Kind.SLICE, bytes);
        }

        /** The last slice: written, then the response completed. */
        public static Next last(byte[] bytes) {
            return new Next(Kind.LAST, bytes);
        }
    }

    private final ClientStream client;
    private final Executor pool;
    private final int slice;
    private final int slicesPerRun;
    private final Source source;

    // guarded by this
    /** No step is queued, running or waiting for room: the next one comes with a {@link #wake}. */
    private boolean idle = true;
    /** A wake came while a step was asking the source: it asks again before it waits. */
    private boolean woken;
    /** The send ended: no step runs any more. */
    private boolean over;

    /**
     * @param slice        the most bytes a slice of the source holds: the room a step waits for
     * @param slicesPerRun the most steps one run takes while the client has room, before it leaves the thread
     */
    public PacedSender(ClientStream client, Executor pool, int slice, int slicesPerRun, Source source) {
        if (slice <= 0 || slicesPerRun <= 0) {
            throw new IllegalArgumentException("slice " + slice + ", slices per run " + slicesPerRun);
        }
        this.client = client;
        this.pool = pool;
        this.slice = slice;
        this.slicesPerRun = slicesPerRun;
        this.source = source;
    }

    /**
     * The source has something for the sender (its first slice, more of them, its end, a failure to report): a step is
     * handed to the pool if none is queued, running or waiting for room; one asking the source meanwhile asks again.
     * False when no thread could be had and the source let the client go ({@link Source#noThread}).
     */
    public boolean wake() {
        synchronized (this) {
            if (over) {
                return true;
            }
            if (!idle) {
                woken = true;
                return true;
            }
            idle = false;
        }
        return schedule();
    }

    /** Ends the send of a step a shut-down pool returned unrun ({@code shutdownNow}); anything else is left alone. */
    public static void abandon(Runnable queued) {
        if (queued instanceof PacedSender sender) {
            sender.abandoned();
        }
    }

    private void abandoned() {
        synchronized (this) {
            if (over) {
                return;
            }
        }
        try {
            source.abandoned();
        } finally {
            finish(); // even if ending the response threw: what the source holds is released
        }
    }

    @Override
    public void run() {
        boolean goesOn;
        try {
            goesOn = steps();
        } catch (Throwable e) { // an Error too: the response must not stay open
            try {
                source.failed(e);
            } finally {
                // a source's failure rule that throws itself (a response written to meanwhile refuses a header)
                // still ends the send: else the object, or the staged file, stayed open with the response
                finish();
            }
            return;
        }
        if (!goesOn) {
            finish();
        }
    }

    /**
     * Takes steps while the client has room. True when the send goes on (waiting for room, for the source, or queued
     * again), false when it is over.
     */
    private boolean steps() throws IOException {
        int slices = 0;
        while (true) {
            synchronized (this) {
                if (over) {
                    return false;
                }
                woken = false;
            }
            Next next = source.next();
            switch (next.kind) {
                case WAIT -> {
                    synchronized (this) {
                        if (!woken) {
                            idle = true;
                            return true;
                        }
                    } // woken while asking: what the wake was for may have come after the source looked
                }
                case SLICE -> {
                    write(next.bytes);
                    if (!roomNow()) {
                        return true; // the next step is handed to the pool once the client has room
                    }
                    if (++slices == slicesPerRun) {
                        schedule(); // the other sends get the thread; this one still has room
                        return true;
                    }
                }
                case LAST -> {
                    write(next.bytes);
                    client.end();
                    return false;
                }
                case END -> {
                    client.end();
                    return false;
                }
                case RESET -> {
                    client.abort();
                    return false;
                }
                case LEAVE -> {
                    return false;
                }
            }
        }
    }

    private void write(byte[] bytes) throws IOException {
        if (bytes.length > slice) {
            throw new IllegalStateException("a slice of " + bytes.length + " bytes, room asked for " + slice);
        }
        client.write(bytes);
    }

    /**
     * Asks for room for the next slice: true when the client has it now (the step goes on, on this thread), false when
     * the next step is handed to the pool once it has. Exactly one of the two happens, whichever thread the
     * continuation runs on.
     */
    private boolean roomNow() {
        AtomicInteger race = new AtomicInteger(); // 0 asking, 1 room came first, 2 the step stopped first
        client.whenRoom(slice, () -> {
            if (!race.compareAndSet(0, 1)) {
                schedule();
            }
        });
        return !race.compareAndSet(0, 2);
    }

    /** Hands the next step to the pool; if it takes none, the send ends here. False when the client was let go. */
    private boolean schedule() {
        try {
            pool.execute(this);
            return true;
        } catch (Throwable e) { // RejectedExecutionException (shut down), OutOfMemoryError (no native thread)
            boolean letGo;
            try {
                letGo = source.noThread(e);
            } finally {
                finish();
            }
            return !letGo;
        }
    }

    private void finish() {
        synchronized (this) {
            if (over) {
                return;
            }
            over = true;
        }
        source.over();
    }
}
