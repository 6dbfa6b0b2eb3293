package io.starling.testsupport;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The public API of a module as text — every public type of its API packages and each of its public and protected
 * members, with full generic signatures — compared with a snapshot committed beside the module ({@code
 * <module>/api/<module>.api}). A change to the API then fails the build with a diff until someone accepts it, so
 * that a change to the API is a decision and shows in review.
 *
 * <p>To accept a change, run the test again with {@code -Dstarling.api.accept=true} (the failure message gives the
 * whole command); it rewrites the snapshot, which is then committed with the change.
 *
 * <p>The text lists types by binary name ({@code io.starling.Sync$Metrics}), a header line per type (modifiers,
 * kind, type parameters, supertypes, permitted subtypes) and an indented line per member; constants show their
 * value. Nullness annotations are not part of it.
 */
public final class ApiSnapshot {
    /** The system property that rewrites the snapshot instead of comparing with it. */
    public static final String ACCEPT_PROPERTY = "starling.api.accept";

    private ApiSnapshot() {}

    /**
     * Compares the public API of {@code packages} (exact package names) in the module of {@code testClass} with its
     * snapshot, or rewrites the snapshot when {@value #ACCEPT_PROPERTY} is set.
     *
     * @throws AssertionError with the differences and the command that accepts them
     */
    public static void check(StarlingModule module, Class<?> testClass, String... packages) {
        String now = describe(ArchitectureRules.mainClasses(testClass), Set.of(packages));
        if (now.isEmpty()) {
            throw new IllegalStateException("no public type in " + Set.of(packages) + " of " + module.artifactId());
        }
        compare(
                snapshotFile(module, testClass),
                now,
                module.artifactId(),
                acceptCommand(module, testClass),
                Boolean.getBoolean(ACCEPT_PROPERTY));
    }

    /** Compares {@code now} with the snapshot {@code file}, or rewrites the file when {@code accept}. */
    static void compare(Path file, String now, String artifactId, String acceptCommand, boolean accept) {
        if (accept) {
            write(file, now);
            System.out.println("ApiSnapshot: wrote " + file);
            return;
        }
        if (!Files.exists(file)) {
            throw new AssertionError("The public API of " + artifactId + " has no snapshot yet (" + file
                    + "). Write it, review it and commit it:\n  " + acceptCommand + "\n");
        }
        String committed;
        try {
            committed = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!committed.equals(now)) {
            throw new AssertionError("The public API of " + artifactId + " differs from its snapshot " + file
                    + " (- snapshot, + now):\n"
                    + diff(committed, now)
                    + "\nIf the change is meant, accept it and commit the snapshot with it:\n  " + acceptCommand
                    + "\n");
        }
    }

    /** The command that rewrites the snapshot of {@code module}. */
    public static String acceptCommand(StarlingModule module, Class<?> testClass) {
        return "mvn -B -q -pl " + module.artifactId() + " -am verify -Dtest=" + testClass.getSimpleName()
                + " -Dsurefire.failIfNoSpecifiedTests=false -D" + ACCEPT_PROPERTY + "=true";
    }

    /** {@code <module>/api/<module>.api}, found from where the test classes are. */
    static Path snapshotFile(StarlingModule module, Class<?> testClass) {
        return BuildPaths.moduleDirectory(testClass).resolve("api").resolve(module.artifactId() + ".api");
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The API text of the public types in {@code packages}. */
    public static String describe(JavaClasses classes, Set<String> packages) {
        List<Class<?>> types = new ArrayList<>();
        for (JavaClass c : classes) {
            if (!packages.contains(c.getPackageName())) continue;
            Class<?> type = c.reflect();
            if (visible(type)) types.add(type);
        }
        types.sort(Comparator.comparing(Class::getName));
        StringBuilder sb = new StringBuilder();
        for (Class<?> t : types) {
            sb.append(header(t)).append('\n');
            for (String m : members(t)) sb.append("  ").append(m).append('\n');
        }
        return sb.toString();
    }

    /** Public, and (if nested) every enclosing type public or protected too. */
    private static boolean visible(Class<?> type) {
        if (type.isAnonymousClass() || type.isLocalClass() || type.isSynthetic()) return false;
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            int m = t.getModifiers();
            if (t.getDeclaringClass() == null ? !Modifier.isPublic(m) : !exposed(m)) return false;
        }
        return true;
    }

    private static boolean exposed(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String header(Class<?> t) {
        StringBuilder sb = new StringBuilder();
        int mods = t.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC);
        if (!t.isInterface() && !t.isEnum() && !t.isRecord()) {
            mods |= t.getModifiers() & (Modifier.ABSTRACT | Modifier.FINAL);
        }
        sb.append(Modifier.toString(mods));
        if (t.isSealed()) sb.append(" sealed");
        String kind = t.isAnnotation()
                ? "@interface"
                : t.isInterface() ? "interface" : t.isEnum() ? "enum" : t.isRecord() ? "record" : "class";
        sb.append(' ')
                .append(kind)
                .append(' ')
                .append(t.getName())
                .append(typeParameters(t.getTypeParameters()).strip());
        Type superclass = t.getGenericSuperclass();
        if (superclass != null
                && superclass != Object.class
                && !t.isEnum()
                && !t.isRecord()
                && !(superclass instanceof Class<?> c && (c == Enum.class || c == Record.class))) {
            sb.append(" extends ").append(superclass.getTypeName());
        }
        Type[] interfaces = t.getGenericInterfaces();
        if (interfaces.length > 0) {
            sb.append(t.isInterface() ? " extends " : " implements ")
                    .append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (t.isSealed()) {
            sb.append(" permits ")
                    .append(Arrays.stream(t.getPermittedSubclasses())
                            .map(Class::getName)
                            .sorted()
                            .collect(Collectors.joining(", ")));
        }
        return sb.toString();
    }

    private static Set<String> members(Class<?> t) {
        Set<String> out = new TreeSet<>();
        for (Field f : t.getDeclaredFields()) {
            if (f.isSynthetic() || !exposed(f.getModifiers())) continue;
            out.add(field(f));
        }
        for (Constructor<?> c : t.getDeclaredConstructors()) {
            if (c.isSynthetic() || !exposed(c.getModifiers())) continue;
            out.add(executable(c, "", "new"));
        }
        for (Method m : t.getDeclaredMethods()) {
            if (m.isSynthetic() || m.isBridge() || !exposed(m.getModifiers())) continue;
            out.add(executable(m, m.getGenericReturnType().getTypeName() + " ", m.getName()));
        }
        return out;
    }

    private static String field(Field f) {
        int mods = f.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL);
        String s = Modifier.toString(mods) + " " + f.getGenericType().getTypeName() + " " + f.getName();
        if (f.isEnumConstant()) return "enum constant " + f.getName();
        if (Modifier.isStatic(f.getModifiers())
                && Modifier.isFinal(f.getModifiers())
                && (f.getType().isPrimitive() || f.getType() == String.class)) {
            try {
                Object v = f.get(null);
                s += " = " + (v instanceof String str ? '"' + str + '"' : v);
            } catch (IllegalAccessException e) {
                // not readable: listed without its value
            }
        }
        return s;
    }

    private static String executable(Executable e, String returnType, String name) {
        // synchronized, native and strictfp are how a method is implemented, not what a caller may rely on
        int mods = e.getModifiers()
                & (Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL | Modifier.ABSTRACT);
        StringBuilder sb = new StringBuilder();
        if (e.getDeclaringClass().isInterface()) {
            mods &= ~Modifier.ABSTRACT; // every interface method without a body is abstract: say "default" instead
            mods &= ~Modifier.PUBLIC;
        }
        String m = Modifier.toString(mods);
        if (!m.isEmpty()) sb.append(m).append(' ');
        if (e instanceof Method method && method.isDefault()) sb.append("default ");
        String tp = typeParameters(e.getTypeParameters());
        if (!tp.isEmpty()) sb.append(tp.substring(1)).append(' ');
        sb.append(returnType).append(name).append('(');
        sb.append(Arrays.stream(e.getGenericParameterTypes())
                .map(Type::getTypeName)
                .collect(Collectors.joining(", ")));
        if (e.isVarArgs()) {
            int last = sb.lastIndexOf("[]");
            sb.replace(last, last + 2, "...");
        }
        sb.append(')');
        Type[] exceptions = e.getGenericExceptionTypes();
        if (exceptions.length > 0) {
            sb.append(" throws ")
                    .append(Arrays.stream(exceptions).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        return sb.toString();
    }

    private static String typeParameters(TypeVariable<?>[] params) {
        if (params.length == 0) return "";
        return " <"
                + Arrays.stream(params)
                        .map(p -> {
                            Type[] bounds = p.getBounds();
                            boolean plain = bounds.length == 1 && bounds[0] == Object.class;
                            return plain
                                    ? p.getName()
                                    : p.getName() + " extends "
                                            + Arrays.stream(bounds)
                                                    .map(Type::getTypeName)
                                                    .collect(Collectors.joining(" & "));
                        })
                        .collect(Collectors.joining(", "))
                + ">";
    }

    /** A line diff: the lines only in {@code before} with "-", only in {@code after} with "+", in order. */
    static String diff(String before, String after) {
        List<String> a = before.lines().toList();
        List<String> b = after.lines().toList();
        // longest common subsequence, enough for files of a few hundred lines
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        StringBuilder sb = new StringBuilder();
        int i = 0, j = 0;
        String type = null; // the type header a change belongs to, printed once as context
        String printedType = null;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                if (!a.get(i).startsWith(" ")) type = a.get(i);
                i++;
                j++;
                continue;
            }
            boolean remove = j >= b.size() || (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1]);
            String line = remove ? a.get(i++) : b.get(j++);
            if (line.startsWith(" ") && type != null && !type.equals(printedType)) {
                sb.append("  ").append(type).append('\n');
                printedType = type;
            }
            if (!line.startsWith(" ")) printedType = line;
            sb.append(remove ? "- " : "+ ").append(line).append('\n');
        }
        return sb.toString();
    }
}
