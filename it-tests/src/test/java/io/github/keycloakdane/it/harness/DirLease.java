package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of an instance directory, held with an OS file lock on {@code DIR/.lock} for as long as the instance
 * runs (the OS drops it when the JVM dies, however it dies). Two test runs in the same checkout therefore never share
 * a directory, and whatever a directory's stale-process cleanup kills really belongs to a dead run.
 */
final class DirLease implements AutoCloseable {

    private static final int MAX_ALTERNATIVES = 9;

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DirLease(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** {@code preferred}, or when another run holds it {@code preferred.2}, {@code .3}, ... (each kept for reuse). */
    static DirLease acquire(Path preferred) throws IOException {
        for (int i = 1; i <= MAX_ALTERNATIVES; i++) {
            Path dir = i == 1 ? preferred : preferred.resolveSibling(preferred.getFileName() + "." + i);
            DirLease lease = tryAcquire(dir);
            if (lease != null) {
                return lease;
            }
        }
        throw new IOException("all of " + preferred + "[.2-." + MAX_ALTERNATIVES + "] are in use by other test runs");
    }

    private static DirLease tryAcquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return new DirLease(dir, channel, lock);
            }
        } catch (OverlappingFileLockException e) {
            // held by this JVM
        }
        channel.close();
        return null;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the lock goes with the channel anyway
        }
    }
}
