package dev.modproxy.proxy.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Forwards a download to its first client while it is being staged, always holding back the last chunk (and at
 * least 64 KiB) until the artifact is verified and stored: a client never receives a complete body that the cache
 * then rejects, and one refused before any byte went out gets the refusal and its reason. The client reads at its
 * own pace from the staged file, 64 KiB at a time on a {@link #senderPool sender}, for as long as the client has
 * room for them: then the next step waits, holding no thread, until the client has taken some of what it was sent
 * ({@link ClientStream#whenRoom}), or until the download has released more. The download goes on at the upstream's pace, however slowly the client
 * reads.
 *
 * <p>When no sender can be had (the cache closed, or no thread to be made) before any byte went out, the tee lets go
 * of the client: {@link #streaming()} and {@link #finish} then say it is not streamed, and the client is answered as
 * a client that joined the download is, from the stored artifact once it is stored (or with the refusal). Once bytes
 * went out, the connection is reset.
 */
final class ClientTee {

    private static final Logger LOG = Logger.getLogger(ClientTee.class);
    private static final int SLICE = 64 * 1024;
    /**
     * Bytes never sent before the artifact is verified, however the upstream's answer was cut into reads: a zip of up
     * to this size (most module zips) reaches the client whole or not at all, and when refused, as a 502 saying why.
     */
    private static final int HELD_BACK = 64 * 1024;

    /** Threads that send cold zips to their first clients at most, all clients together (see {@link #senderPool}). */
    static final int SENDERS = 16;
    /** Slices one run of a sender sends at most while its client has room, before it leaves the thread to others. */
    private static final int SLICES_PER_RUN = 16;

    private final ClientStream client;
    private final Executor senders;
    private boolean begun;
    private Sender sender;
    /** No sender could be had before any byte went out: the client is answered as a joining client is. */
    private boolean letGo;

    /** @param client null when nobody is to be streamed to */
    ClientTee(ClientStream client, Executor senders) {
        this.client = client;
        this.senders = senders;
    }

    /**
     * The threads that run the tees' steps: at most {@link #SENDERS} (named {@code modproxy-first-client}), idle ones
     * ending after a minute, a step waiting in line while all are busy. A step reads one chunk of a local staged file
     * and hands it to its response; none waits for a slow client. Shut it down with {@link #abandon} for each step it
     * returns.
     */
    static ThreadPoolExecutor senderPool() {
        return BoundedThreads.pool("modproxy-first-client", SENDERS);
    }

    /** Ends the response of a step a shut-down pool never ran (reset, unless the tee took it back), and its files. */
    static void abandon(Runnable queued) {
        if (queued instanceof Sender step) {
            step.abandon();
        }
    }

    /** Whether a client follows the staged file (then every chunk must be flushed to it). */
    boolean streaming() {
        return client != null && !letGo;
    }

    /**
     * The staged file now holds written bytes (flushed); the last chunkLength of them, and at least the last
     * {@link #HELD_BACK}, stay held back. Called on the download thread; never blocks on the client.
     */
    void chunk(Path staged, long written, int chunkLength, long contentLength) {
        if (!streaming()) {
            return;
        }
        long releasable = written - Math.max(chunkLength, HELD_BACK);
        if (!begun) {
            begun = true;
            sender = new Sender();
            try {
                client.begin(contentLength);
            } catch (IOException e) {
                sender.gone(); // the client went away; the download continues for the cache
                return;
            }
        }
        if (!sender.offer(staged, releasable)) {
            letGo();
        }
    }

    /** The artifact is stored: release the last chunk and complete the response. False when it was not streamed. */
    boolean finish(long total) {
        if (!begun) {
            return false;
        }
        if (!sender.finish(total)) {
            letGo();
            return false;
        }
        return true;
    }

    /** No sender could be had and nothing went out: the response is taken back, to be answered as a waiter's. */
    private void letGo() {
        client.retract();
        letGo = true;
        begun = false;
        sender = null;
    }

    /**
     * Ends a failed download's stream. When no byte has gone to the client yet (a small zip is held back whole until
     * it is verified), the response is taken back and true returned: the client can be told why, as a 502 with the
     * reason, instead of a broken connection, or be sent the next upstream's answer, which begins the stream anew.
     * Otherwise the connection is broken. Called on the download thread.
     */
    boolean withdraw() {
        if (!begun) {
            return true;
        }
        if (sender.withdraw()) {
            client.retract();
            begun = false; // the withdrawn sender sends nothing more; another answer gets a sender of its own
            sender = null;
            return true;
        }
        return false;
    }

    /**
     * Sends the staged bytes released so far, one {@link #SLICE} per step, until finished or failed. A run on a sender
     * takes steps while the client has room (at most {@link #SLICES_PER_RUN}). Steps run one after another, never two
     * at once: a run is handed to the senders when the download releases bytes while the sender is {@link #idle} (or
     * finishes, or fails), when the client has room again after a step's write, or when a run took its most.
     */
    private final class Sender implements Runnable {
        // all guarded by this
        private Path staged;
        // opened on the download thread, before the staged file can be published (renamed) or deleted
        private FileChannel channel;
        private final List<FileChannel> replaced = new ArrayList<>();
        private long available;
        private long sent;
        private boolean finished;
        private boolean failed;
        /** Bytes were handed to the client, or its response ended: the response can no longer be taken back. */
        private boolean committed;
        /** Taken back before any byte went out: the sender leaves the response alone. */
        private boolean withdrawn;
        /** No step is queued, running or waiting for room: the next comes when the download says something. */
        private boolean idle = true;
        /** Its files are closed: nothing more to do. */
        private boolean over;
        /** A step reads {@link #channel} outside the lock: a channel the staging moves from is closed after it. */
        private boolean reading;

        /** False when no sender could be had for a step and nothing went out (the client is to be let go). */
        boolean offer(Path file, long releasable) {
            synchronized (this) {
                if (failed || over) {
                    return true;
                }
                if (!file.equals(staged)) {
                    // the storage moved the staging (a spill to the pass-through directory): same bytes, new file
                    try {
                        FileChannel next = FileChannel.open(file, StandardOpenOption.READ);
                        if (channel != null && reading) {
                            replaced.add(channel); // the step reading it closes it when its read is done
                        } else {
                            // no step reads it any more: a deleted staged file kept open would keep its disk space
                            // taken (a full disk's, when the staging moved to the pass-through directory)
                            closeQuietly(channel);
                        }
                        channel = next;
                        staged = file;
                    } catch (IOException e) {
                        LOG.debugf("cannot follow staged file %s: %s", file, e.getMessage());
                        failed = true;
                        if (!committed) {
                            // nothing went out (and no step reads before it commits): the client is let go, to be
                            // answered from the stored zip as a joining client is, rather than reset
                            withdrawn = true;
                            close();
                            return false;
                        }
                    }
                }
                available = Math.max(available, releasable);
            }
            return wake();
        }

        /** False when no sender could be had for a step and nothing went out (the client is to be let go). */
        boolean finish(long total) {
            synchronized (this) {
                available = total;
                finished = true;
            }
            return wake();
        }

        /** The client went away before its response began: nothing to send, no file to follow. */
        synchronized void gone() {
            failed = true;
            over = true;
        }

        boolean withdraw() {
            synchronized (this) {
                failed = true;
                if (committed) {
                    // the client has bytes: a step ends its response (broken), now or once it has room
                } else {
                    withdrawn = true;
                    if (idle) {
                        close(); // no step to find it withdrawn
                    }
                    return true;
                }
            }
            wake();
            return false;
        }

        /**
         * Hands a step to the senders if the sender is idle and there is something to do. False when none could be
         * had and nothing went out: the tee lets the client go.
         */
        private boolean wake() {
            synchronized (this) {
                if (!idle || over || !(failed || finished || available > sent)) {
                    return true;
                }
                idle = false;
            }
            return schedule();
        }

        /** Hands the next step to a sender; if none can take it, ends here. False when the client is to be let go. */
        private boolean schedule() {
            try {
                senders.execute(this);
                return true;
            } catch (Throwable e) { // RejectedExecutionException (closed), OutOfMemoryError (no native thread)
                return noSender(e);
            }
        }

        /** No step can run: the client is let go if nothing went out (false), else its connection reset. */
        private boolean noSender(Throwable e) {
            boolean letGo;
            synchronized (this) {
                letGo = !committed && !withdrawn;
                if (letGo) {
                    withdrawn = true; // on the download thread: the tee takes the response back
                }
                failed = true;
                close();
            }
            LOG.warnf(
                    "no sender for a cold zip's first client (%s); %s",
                    e, letGo ? "it is answered once the zip is stored" : "connection reset");
            if (!letGo) {
                client.abort();
            }
            return !letGo;
        }

        /** A step that a shut-down pool returned unrun: the response is ended (reset), its files closed. */
        void abandon() {
            synchronized (this) {
                if (over) {
                    return;
                }
                failed = true;
                close();
                if (withdrawn) {
                    return;
                }
                committed = true;
            }
            client.abort();
        }

        /** Closes the staged file's channels; caller holds this. */
        private void close() {
            over = true;
            closeQuietly(channel);
            channel = null;
            replaced.forEach(ClientTee::closeQuietly);
            replaced.clear();
        }

        @Override
        public void run() {
            try {
                for (int slices = 1; step(); slices++) {
                    if (slices == SLICES_PER_RUN) {
                        schedule(); // the other first clients' steps get the thread; this one still has room
                        return;
                    }
                }
            } catch (IOException e) {
                LOG.debugf("a cold download's first client stopped: %s", e.getMessage());
                end(true);
            } catch (Throwable e) { // an Error too: the response must not stay open
                LOG.warnf(e, "sending a cold zip to its first client failed; connection reset");
                end(true);
            }
        }

        /**
         * Sends one slice, or ends the response. True when the next slice may follow at once (the client has room for
         * it now); otherwise the next step is arranged, if there is more to send.
         */
        private boolean step() throws IOException {
            FileChannel from;
            long at;
            long upTo;
            boolean done;
            synchronized (this) {
                if (over) {
                    return false;
                }
                if (withdrawn) {
                    close(); // the response is the tee's again
                    return false;
                }
                if (failed || channel == null) {
                    committed = true;
                    close();
                    from = null;
                } else if (sent >= available && !finished) {
                    idle = true; // nothing released yet: the download wakes the next step
                    return false;
                } else {
                    committed = true;
                    from = channel;
                    reading = true;
                }
                at = sent;
                upTo = available;
                done = finished;
            }
            if (from == null) {
                client.abort();
                return false;
            }
            if (at < upTo) {
                // a fresh array per slice: the response owns it until written
                byte[] bytes = new byte[(int) Math.min(SLICE, upTo - at)];
                int n = from.read(ByteBuffer.wrap(bytes), at);
                if (n < 0) {
                    throw new IOException("staged file shorter than the " + upTo + " bytes written");
                }
                client.write(n == bytes.length ? bytes : Arrays.copyOf(bytes, n)); // has room for a slice
                synchronized (this) {
                    sent = at + n;
                    reading = false;
                    replaced.forEach(ClientTee::closeQuietly); // the staging moved while this step read: done with
                    replaced.clear();
                }
                if (!done || at + n < upTo) {
                    return roomNow();
                }
            }
            client.end();
            end(false);
            return false;
        }

        /**
         * Asks for room for the next slice: true when the client has it now (the step goes on, on this thread),
         * false when the next step is handed to a sender once it has. Exactly one of the two happens, whichever
         * thread the continuation runs on.
         */
        private boolean roomNow() {
            AtomicInteger race = new AtomicInteger(); // 0 asking, 1 room came first, 2 the step stopped first
            client.whenRoom(SLICE, () -> {
                if (!race.compareAndSet(0, 1)) {
                    schedule();
                }
            });
            return !race.compareAndSet(0, 2);
        }

        /** The response is over (ended, or to be reset): its files are closed. */
        private void end(boolean broken) {
            synchronized (this) {
                failed = true;
                close();
            }
            if (broken) {
                client.abort();
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debugf(e, "closing a staged file");
            }
        }
    }
}
