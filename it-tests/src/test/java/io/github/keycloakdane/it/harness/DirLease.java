package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of an instance directory: an OS file lock on {@code DIR/.lock}, which the OS drops when the JVM
 * dies, however it dies. Two test runs in one checkout never share a directory, so whatever a directory's
 * stale-process cleanup stops really belongs to a dead run.
 */
record DirLease(Path dir, FileLock lock) implements AutoCloseable {

    private static final int MAX_ALTERNATIVES = 9;

    /** {@code preferred}, or when another run holds it {@code preferred.2}, {@code .3}, ... (each kept for reuse). */
    static DirLease acquire(Path preferred) throws IOException {
        for (int i = 1; i <= MAX_ALTERNATIVES; i++) {
            Path dir = i == 1 ? preferred : preferred.resolveSibling(preferred.getFileName() + "." + i);
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new DirLease(dir, lock);
                }
            } catch (OverlappingFileLockException e) {
                // held by this JVM
            }
            channel.close();
        }
        throw new IOException("all of " + preferred + "[.2-." + MAX_ALTERNATIVES + "] are in use by other test runs");
    }

    /** Closing the channel releases the lock. */
    @Override
    public void close() {
        try {
            lock.channel().close();
        } catch (IOException e) {
            // nothing more to do: the lock goes with the channel
        }
    }
}
