package dev.modproxy.proxy.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as a blocking stream with an idle timeout and a deadline: a read that sees no
 * bytes for the read timeout fails, and so does any read past the deadline, so neither a stalled
 * upstream nor one that drips a byte now and then can hold a download (and its waiters) forever.
 */
final class UpstreamBody extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final long idleNanos;
    private long deadlineNanos;
    private final String source;
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private Iterator<ByteBuffer> pending = Collections.emptyIterator();
    private ByteBuffer current;
    private boolean finished;

    /** @param source who answers, followed by a verb in the reasons: a host, or "host redirected to url, which" */
    UpstreamBody(Duration idleTimeout, String source, long deadlineNanos) {
        this.idleNanos = idleTimeout.toNanos();
        this.deadlineNanos = deadlineNanos;
        this.source = source;
    }

    /** Brings the deadline forward to {@code within} from now, if that is sooner. */
    void finishWithin(Duration within) {
        deadlineNanos = Math.min(deadlineNanos, System.nanoTime() + within.toNanos());
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
            s.cancel();
        } else {
            s.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    @SuppressWarnings("unchecked")
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (current == null || !current.hasRemaining()) {
            if (pending.hasNext()) {
                current = pending.next();
                continue;
            }
            if (finished) {
                return -1;
            }
            if (closed) {
                throw new IOException("the answer was read after it was closed");
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                close();
                throw new UpstreamTimeoutException(source + " did not send the whole answer in time (a slow drip)");
            }
            Object next;
            try {
                next = queue.poll(Math.min(idleNanos, left), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(source + " was answering when the read was interrupted");
            }
            if (next == null) {
                close();
                throw new UpstreamTimeoutException(
                        idleNanos <= left
                                ? source + " sent no data for "
                                        + Duration.ofNanos(idleNanos).toMillis() + " ms"
                                : source + " did not send the whole answer in time (a slow drip)");
            }
            if (next == END) {
                finished = true;
                return -1;
            }
            if (next instanceof Throwable t) {
                throw new IOException(source + " broke off its answer: " + t.getMessage(), t);
            }
            pending = ((List<ByteBuffer>) next).iterator();
            subscription.request(1);
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    @Override
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
