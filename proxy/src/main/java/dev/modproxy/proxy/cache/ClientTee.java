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
import org.jboss.logging.Logger;

/**
 * Forwards a download to its first client while it is being staged, always holding back the last chunk (and at
 * least 64 KiB) until the artifact is verified and stored: a client never receives a complete body that the cache
 * then rejects, and one refused before any byte went out gets the refusal and its reason. The client reads at its
 * own pace from the staged file, 64 KiB a step on a {@link #senderPool sender} ({@link PacedSender}), for as long as
 * the client has room for them: then the next step waits, holding no thread, until the client has taken some of what
 * it was sent ({@link ClientStream#whenRoom}), or until the download has released more. The download goes on at the
 * upstream's pace, however slowly the client reads.
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
        PacedSender.abandon(queued);
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
     * The staged bytes released so far, one {@link #SLICE} per step of its {@link PacedSender} (at most
     * {@link #SLICES_PER_RUN} steps a run while the client has room), until finished or failed. The sender waits for
     * the download when it has sent everything released: the download wakes it when it releases bytes, finishes or
     * fails.
     */
    private final class Sender implements PacedSender.Source {
        private final PacedSender steps;
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
        /** Its files are closed: nothing more to do. */
        private boolean over;
        /** A step reads {@link #channel} outside the lock: a channel the staging moves from is closed after it. */
        private boolean reading;

        Sender() {
            steps = new PacedSender(client, senders, SLICE, SLICES_PER_RUN, this);
        }

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
                    // the client has bytes: a step ends its response (reset), now or once it has room
                } else {
                    withdrawn = true;
                    close(); // no step reads before it commits: one still queued finds the files closed, and leaves
                    return true;
                }
            }
            wake();
            return false;
        }

        /**
         * Wakes the sender if there is something to do. False when no sender could be had and nothing went out: the
         * tee lets the client go.
         */
        private boolean wake() {
            synchronized (this) {
                if (over || !(failed || finished || available > sent)) {
                    return true;
                }
            }
            return steps.wake();
        }

        /** No step can run: the client is let go if nothing went out (true), else its connection reset. */
        @Override
        public boolean noThread(Throwable e) {
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
            return letGo;
        }

        /** A step that a shut-down pool returned unrun: the response is ended (reset), its files closed. */
        @Override
        public void abandoned() {
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

        /** Reads the next slice released, or says the response ends (or is the tee's again, once withdrawn). */
        @Override
        public PacedSender.Next next() throws IOException {
            FileChannel from;
            long at;
            long upTo;
            boolean done;
            synchronized (this) {
                if (over) {
                    return PacedSender.Next.LEAVE; // withdrawn (the response is the tee's again), or closed
                }
                if (failed || channel == null) {
                    committed = true;
                    close();
                    return PacedSender.Next.RESET;
                }
                if (sent >= available && !finished) {
                    return PacedSender.Next.WAIT; // nothing released yet: the download wakes the sender
                }
                committed = true;
                at = sent;
                upTo = available;
                done = finished;
                if (at >= upTo) {
                    return PacedSender.Next.END; // finished, and everything went out
                }
                from = channel;
                reading = true;
            }
            // a fresh array per slice: the response owns it until written
            byte[] bytes = new byte[(int) Math.min(SLICE, upTo - at)];
            int n = from.read(ByteBuffer.wrap(bytes), at);
            if (n < 0) {
                throw new IOException("staged file shorter than the " + upTo + " bytes written");
            }
            synchronized (this) {
                sent = at + n;
                reading = false;
                replaced.forEach(ClientTee::closeQuietly); // the staging moved while this step read: done with
                replaced.clear();
            }
            byte[] slice = n == bytes.length ? bytes : Arrays.copyOf(bytes, n);
            return done && at + n >= upTo ? PacedSender.Next.last(slice) : PacedSender.Next.slice(slice);
        }

        @Override
        public void failed(Throwable e) {
            if (e instanceof IOException) {
                LOG.debugf("a cold download's first client stopped: %s", e.getMessage());
            } else {
                LOG.warnf(e, "sending a cold zip to its first client failed; connection reset");
            }
            synchronized (this) {
                failed = true;
                close();
            }
            client.abort();
        }

        /** The response is over (ended, reset, or the tee's again): its files are closed. */
        @Override
        public void over() {
            synchronized (this) {
                failed = true;
                close();
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
