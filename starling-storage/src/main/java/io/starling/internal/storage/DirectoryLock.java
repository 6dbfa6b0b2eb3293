package io.starling.internal.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Exclusive ownership of a database directory for the lifetime of one storage instance.
 *
 * <p>Two layers: a JVM-wide registry of held directories (by real path), checked before the lock file is
 * touched, and an OS lock ({@link FileChannel#tryLock}) on {@value #LOCK_FILE} against other processes. The
 * registry matters on POSIX systems: there, closing <em>any</em> descriptor of a file drops every lock the
 * process holds on it, so a second, failing open in the same JVM must never open and close the lock file
 * while the first instance holds it.
 *
 * <p>Thread-safe. {@link #close} is idempotent.
 */
public final class DirectoryLock implements AutoCloseable {
    static final String LOCK_FILE = "starling.lock";

    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks an existing directory.
     *
     * @throws StorageException {@code LOCKED} if another instance in this JVM or another process holds it,
     *     {@code IO} if the lock file cannot be created or locked
     */
    public static DirectoryLock acquire(Path directory) {
        Path key;
        try {
            key = directory.toRealPath();
        } catch (IOException e) {
            throw new StorageException(
                    StorageException.Code.IO, "cannot resolve database directory " + directory + ": " + e, e);
        }
        if (!HELD.add(key)) {
            throw locked(directory);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // someone else in this JVM locked the file outside Starling
            }
            if (lock == null) {
                throw locked(directory);
            }
            return new DirectoryLock(key, channel, lock);
        } catch (IOException e) {
            StorageException failure = new StorageException(
                    StorageException.Code.IO, "cannot lock database directory " + directory + ": " + e, e);
            forget(key, channel, failure);
            throw failure;
        } catch (RuntimeException | Error e) {
            forget(key, channel, e);
            throw e;
        }
    }

    /** Undoes a failed acquire. */
    private static void forget(Path key, @Nullable FileChannel channel, Throwable failure) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
        }
        HELD.remove(key);
    }

    private static StorageException locked(Path directory) {
        return new StorageException(
                StorageException.Code.LOCKED,
                "database directory " + directory + " is in use by another Starling instance or process");
    }

    /** Releases the OS lock, closes the lock file and forgets the directory. */
    @Override
    public synchronized void close() {
        if (released) {
            return;
        }
        released = true;
        try (FileChannel closing = channel) {
            lock.release();
        } catch (IOException e) {
            throw new StorageException(StorageException.Code.IO, "cannot release the lock on " + key + ": " + e, e);
        } finally {
            HELD.remove(key);
        }
    }
}
