package dev.modproxy.proxy.cache;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The proxy's pools of a bounded number of threads of one kind: downloads, and the senders of streamed answers. */
public final class BoundedThreads {

    private BoundedThreads() {}

    /**
     * At most max daemon threads named name, made as work comes and ending after a minute idle; work beyond them waits
     * in an unbounded line. Shut it down with its owner.
     */
    public static ThreadPoolExecutor pool(String name, int max) {
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(max, max, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
