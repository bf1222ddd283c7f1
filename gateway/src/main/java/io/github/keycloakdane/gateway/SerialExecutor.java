package io.github.keycloakdane.gateway;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs one connection's tasks one at a time, in order, on a shared pool: BouncyCastle's TLS engine is not thread-safe,
 * and its callbacks (the DANE lookup) block, so they run here and never on Netty's event loop.
 */
final class SerialExecutor implements Executor {

    private final Executor pool;
    private final Runnable onRejected;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor pool, Runnable onRejected) {
        this.pool = pool;
        this.onRejected = onRejected;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        schedule();
    }

    private void schedule() {
        try {
            pool.execute(this::drain);
        } catch (RejectedExecutionException e) {
            synchronized (tasks) {
                tasks.clear();
                running = false;
            }
            onRejected.run();
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            next.run();
        }
    }
}
