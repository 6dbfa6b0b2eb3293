package io.starling.internal.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Child process for the lock tests: opens the storage in {@code args[0]}, prints {@code HELD} and keeps it open until
 * its stdin is closed, then prints {@code RELEASED}. If the directory is locked it prints {@code LOCKED <message>}
 * and exits with status 3.
 */
public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws IOException {
        SqliteStorage storage;
        try {
            storage = SqliteStorage.open(Path.of(args[0]), SqliteStorage.Options.defaults());
        } catch (StorageException e) {
            System.out.println(e.code() + " " + e.getMessage());
            System.out.flush();
            System.exit(3);
            return;
        }
        System.out.println("HELD");
        System.out.flush();
        while (System.in.read() != -1) {
            // wait for the parent to close our stdin
        }
        storage.close();
        System.out.println("RELEASED");
        System.out.flush();
    }
}
