package dev.modproxy.proxy.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Forwards a download to its first client while it is being staged, always holding back the last chunk (and at
 * least 64 KiB) until the artifact is verified and stored: a client never receives a complete body that the cache
 * then rejects, and one refused before any byte went out gets the refusal and its reason. The client reads at its
 * own pace from the staged file, on a sender thread of its own: the download goes on at the upstream's pace, however
 * slowly the client reads.
 */
final class ClientTee {

    private static final Logger LOG = Logger.getLogger(ClientTee.class);
    private static final int SLICE = 64 * 1024;
    /**
     * Bytes never sent before the artifact is verified, however the upstream's answer was cut into reads: a zip of up
     * to this size (most module zips) reaches the client whole or not at all, and when refused, as a 502 saying why.
     */
    private static final int HELD_BACK = 64 * 1024;

    private final ClientStream client;
    private final Executor senders;
    private boolean begun;
    private Sender sender;

    /** @param client null when nobody is to be streamed to */
    ClientTee(ClientStream client, Executor senders) {
        this.client = client;
        this.senders = senders;
    }

    /** Whether a client follows the staged file (then every chunk must be flushed to it). */
    boolean streaming() {
        return client != null;
    }

    /**
     * The staged file now holds written bytes (flushed); the last chunkLength of them, and at least the last
     * {@link #HELD_BACK}, stay held back. Called on the download thread; never blocks on the client.
     */
    void chunk(Path staged, long written, int chunkLength, long contentLength) {
        if (client == null) {
            return;
        }
        long releasable = written - Math.max(chunkLength, HELD_BACK);
        if (!begun) {
            begun = true;
            sender = new Sender();
            try {
                client.begin(contentLength);
                sender.offer(staged, releasable);
                senders.execute(sender);
            } catch (IOException | RejectedExecutionException e) {
                sender.fail(); // the client went away; the download continues for the cache
            }
            return;
        }
        sender.offer(staged, releasable);
    }

    /** The artifact is stored: release the last chunk and complete the response. */
    boolean finish(long total) {
        if (!begun) {
            return false;
        }
        sender.finish(total);
        return true;
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

    /** Sends the staged bytes released so far, waiting for more, until finished or failed. */
    private final class Sender implements Runnable {
        private Path staged;
        // opened on the download thread, before the staged file can be published (renamed) or deleted
        private FileChannel channel;
        private final java.util.List<FileChannel> replaced = new java.util.ArrayList<>();
        private long available;
        private boolean finished;
        private boolean failed;
        /** Bytes were handed to the client: the response can no longer be taken back. */
        private boolean committed;
        /** Taken back before any byte went out: the sender leaves the response alone. */
        private boolean withdrawn;

        synchronized void offer(Path file, long releasable) {
            if (failed) {
                return;
            }
            if (!file.equals(staged)) {
                // the storage moved the staging (a spill to the pass-through directory): same bytes, new file
                try {
                    FileChannel next = FileChannel.open(file, StandardOpenOption.READ);
                    if (channel != null) {
                        replaced.add(channel); // the sender may be reading it right now: closed when it is done
                    }
                    channel = next;
                    staged = file;
                } catch (IOException e) {
                    LOG.debugf("cannot follow staged file %s: %s", file, e.getMessage());
                    fail();
                    return;
                }
            }
            available = Math.max(available, releasable);
            notifyAll();
        }

        synchronized void finish(long total) {
            available = total;
            finished = true;
            notifyAll();
        }

        synchronized void fail() {
            failed = true;
            notifyAll();
        }

        synchronized boolean withdraw() {
            if (committed) {
                fail();
                return false;
            }
            withdrawn = true;
            fail();
            return true;
        }

        @Override
        public void run() {
            long sent = 0;
            try {
                while (true) {
                    FileChannel from;
                    long upTo;
                    boolean done;
                    synchronized (this) {
                        while (!failed && !finished && available <= sent) {
                            wait();
                        }
                        if (withdrawn) {
                            return;
                        }
                        if (failed || channel == null) {
                            failed = true;
                            client.abort();
                            return;
                        }
                        from = channel;
                        upTo = available;
                        done = finished;
                        committed |= upTo > sent || done;
                    }
                    while (sent < upTo) {
                        ByteBuffer slice = ByteBuffer.allocate((int) Math.min(SLICE, upTo - sent));
                        int n = from.read(slice, sent);
                        if (n < 0) {
                            throw new IOException("staged file shorter than the " + upTo + " bytes written");
                        }
                        byte[] bytes = new byte[n];
                        slice.flip().get(bytes);
                        client.write(bytes);
                        sent += n;
                    }
                    if (done) {
                        client.end();
                        return;
                    }
                }
            } catch (IOException e) {
                LOG.debugf("a cold download's first client stopped: %s", e.getMessage());
                client.abort();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                client.abort();
            } finally {
                synchronized (this) {
                    failed = true;
                    closeQuietly(channel);
                    channel = null;
                    replaced.forEach(ClientTee::closeQuietly);
                    replaced.clear();
                }
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
