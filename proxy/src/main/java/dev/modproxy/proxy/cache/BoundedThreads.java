package dev.modproxy.proxy.cache;

import java.time.Duration;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy's pools of a bounded number of threads of one kind: downloads, the senders of streamed answers,
 * prefetches and the checksum database's tile readers.
 */
public final class BoundedThreads {

    private BoundedThreads() {}

    /**
     * At most max daemon threads named name, made as work comes and ending after a minute idle; work beyond them waits
     * in an unbounded line. Shut it down with its owner.
     */
    public static ThreadPoolExecutor pool(String name, int max) {
        return pool(name, max, Integer.MAX_VALUE, Duration.ofMinutes(1));
    }

    /**
     * At most max daemon threads named name, made as work comes and each ending once idle for idle; beyond them at
     * most waiting tasks wait in line (linked: a line of {@code Integer.MAX_VALUE} places costs nothing until used),
     * and a task that finds the line full is refused with a {@link RejectedExecutionException}, as every task is
     * after shutdown.
     *
     * <p>Work goes to an idle thread first, and a new thread is made only when none is idle: a pool whose core size is
     * its maximum makes a thread for each task until it has them all, idle ones or not, and a cold fill of 1,300 small
     * zips eight at a time left 256 download threads and their stacks resident (docs/benchmarks.md, "Memory in a cold
     * build and in a churned memory cache").
     */
    public static ThreadPoolExecutor pool(String name, int max, int waiting, Duration idle) {
        IdleFirstLine line = new IdleFirstLine(waiting);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                1,
                max,
                idle.toNanos(),
                TimeUnit.NANOSECONDS,
                line,
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                },
                (task, executor) -> {
                    // every one of the max threads is busy: the task waits in the line for the first of them
                    if (executor.isShutdown()) {
                        throw new RejectedExecutionException(name + " threads are shut down");
                    }
                    if (!line.await(task)) {
                        throw new RejectedExecutionException(waiting + " tasks already wait for " + name + " threads");
                    }
                    // the last thread may have ended on its idle time just before the task was lined up: it ends only
                    // on a line it saw empty, and makes another thread if the line has work once it has gone, so
                    // either that thread sees the task or this finds no thread left and makes one
                    executor.prestartCoreThread();
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The executor offers each task to the line first and makes a thread when the line refuses it: this line takes a
     * task only when an idle thread is waiting for it, and otherwise lets the executor make one, up to its maximum.
     * The tasks that wait in it ({@link #await}) are counted, so that its bound and its size cost no walk through it.
     */
    private static final class IdleFirstLine extends LinkedTransferQueue<Runnable> {

        private final int capacity;
        private final AtomicInteger waiting = new AtomicInteger();

        IdleFirstLine(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }

        /** Lines the task up for the first thread that is free, unless capacity tasks wait already. */
        boolean await(Runnable task) {
            if (waiting.incrementAndGet() > capacity) {
                waiting.decrementAndGet();
                return false;
            }
            super.offer(new Waiting(task));
            return true;
        }

        @Override
        public Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
            return taken(super.poll(timeout, unit));
        }

        @Override
        public Runnable poll() {
            return taken(super.poll());
        }

        @Override
        public Runnable take() throws InterruptedException {
            return taken(super.take());
        }

        /** The tasks waiting in the line (one handed to an idle thread never waits in it). */
        @Override
        public int size() {
            return waiting.get();
        }

        private Runnable taken(Runnable task) {
            if (task instanceof Waiting lined) {
                waiting.decrementAndGet();
                return lined.task();
            }
            return task;
        }

        /** A task that waited in the line, as told apart from one handed to an idle thread. */
        private record Waiting(Runnable task) implements Runnable {
            @Override
            public void run() {
                task.run();
            }
        }
    }
}
