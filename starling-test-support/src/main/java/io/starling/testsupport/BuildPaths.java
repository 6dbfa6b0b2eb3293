package io.starling.testsupport;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where a test is in the build: its module's directory and the repository root, found from where the test class was
 * loaded ({@code <module>/target/test-classes}), so that they do not depend on the working directory.
 */
public final class BuildPaths {
    private BuildPaths() {}

    /** The directory a class was loaded from: {@code <module>/target/test-classes} for a test class. */
    public static Path classesDirectory(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("where " + c + " was loaded from", e);
        }
    }

    /** {@code <module>}, the directory of the module that holds {@code testClass}. */
    public static Path moduleDirectory(Class<?> testClass) {
        return parent(parent(classesDirectory(testClass)));
    }

    /** The repository root, the parent of every module's directory. */
    public static Path repositoryRoot(Class<?> testClass) {
        return parent(moduleDirectory(testClass));
    }

    private static Path parent(Path p) {
        Path parent = p.getParent();
        if (parent == null) throw new IllegalStateException(p + " has no parent: not a build's classes directory");
        return parent;
    }
}
