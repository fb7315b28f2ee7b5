package dev.modproxy.proxy.cache;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The proxy's pools of a bounded number of threads of one kind: downloads, and the senders of streamed answers. */
public final class BoundedThreads {

    private BoundedThreads() {}

    /**
     * At most max daemon threads named name, made as work comes and ending after a minute idle (all but one); work beyond them waits
     * in an unbounded line. Shut it down with its owner.
     *
     * <p>Work goes to an idle thread first, and a new thread is made only when none is idle: a pool whose core size is
     * its maximum makes a thread for each task until it has them all, idle ones or not, and a cold fill of 1,300 small
     * zips eight at a time left 256 download threads and their stacks resident (docs/benchmarks.md, "Memory in a cold
     * build and in a churned memory cache").
     */
    public static ThreadPoolExecutor pool(String name, int max) {
        IdleFirstLine line = new IdleFirstLine();
        // one thread is kept though idle: a task the rejection handler lines up just as the last thread's idle minute
        // ends could otherwise wait in the line with no thread to run it until the next task came
        return new ThreadPoolExecutor(
                1,
                max,
                1,
                TimeUnit.MINUTES,
                line,
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                },
                (task, pool) -> {
                    // every one of the max threads is busy: the task waits in the line for the first of them
                    if (pool.isShutdown()) {
                        throw new RejectedExecutionException(name + " threads are shut down");
                    }
                    line.await(task);
                });
    }

    /**
     * The executor offers each task to the line first and makes a thread when the line refuses it: this line takes a
     * task only when an idle thread is waiting for it, and otherwise lets the executor make one, up to its maximum.
     */
    private static final class IdleFirstLine extends LinkedTransferQueue<Runnable> {

        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }

        void await(Runnable task) {
            super.offer(task);
        }
    }
}
