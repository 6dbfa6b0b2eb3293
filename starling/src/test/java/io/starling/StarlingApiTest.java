package io.starling;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.ApiSnapshot;
import io.starling.testsupport.BuildPaths;
import io.starling.testsupport.StarlingModule;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API ({@code io.starling}) is locked: its types and members, with their signatures, must match the
 * committed snapshot {@code starling/api/starling.api}. A change fails here with the diff and the command that
 * accepts it. Also: every method that takes a callback says in its javadoc which thread runs it.
 */
class StarlingApiTest {

    @Test
    void thePublicApiMatchesItsSnapshot() {
        ApiSnapshot.check(StarlingModule.STARLING, StarlingApiTest.class, "io.starling");
    }

    @Test
    void everyMethodThatTakesACallbackSaysWhichThreadRunsIt() throws IOException {
        Path sources = moduleDirectory().resolve("src/main/java/io/starling");
        Map<String, String> undocumented = new TreeMap<>();
        int checked = 0;
        for (Class<?> type : apiTypes()) {
            if (isCallback(type)) continue; // the callback's own method is what the application implements
            Path source = sources.resolve(topLevel(type).getSimpleName() + ".java");
            String text = Files.readString(source);
            for (Method m : type.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) continue;
                if (Arrays.stream(m.getParameterTypes()).noneMatch(StarlingApiTest::isCallback)) continue;
                checked++;
                String javadoc = javadocOf(text, m);
                if (javadoc == null
                        || !javadoc.toLowerCase(java.util.Locale.ROOT).contains("thread")) {
                    undocumented.put(
                            type.getSimpleName() + "." + m.getName() + Arrays.toString(m.getParameterTypes()),
                            javadoc == null ? "no javadoc found" : javadoc);
                }
            }
        }
        assertThat(checked).as("callback-taking methods found").isGreaterThanOrEqualTo(8);
        assertThat(undocumented)
                .as("methods taking a callback whose javadoc does not say which thread runs it")
                .isEmpty();
    }

    /** A functional interface of the application (or of the JDK) that the library calls back, or an executor. */
    private static boolean isCallback(Class<?> c) {
        if (c == Executor.class) return true;
        if (!c.isInterface() || c == Map.class || c == List.class) return false;
        long abstractMethods = Arrays.stream(c.getMethods())
                .filter(m -> Modifier.isAbstract(m.getModifiers()))
                .count();
        return abstractMethods == 1
                && (c.isAnnotationPresent(FunctionalInterface.class)
                        || c.getPackageName().equals("java.util.function")
                        || c.getPackageName().equals("io.starling"));
    }

    /**
     * The javadoc comment right before the declaration of {@code m} in {@code source}: the declaration is found by
     * the method's name and the simple names of its parameter types.
     */
    static String javadocOf(String source, Method m) {
        Matcher decl = Pattern.compile("\\b" + m.getName() + "\\s*\\(").matcher(source);
        List<String> wanted =
                Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).toList();
        while (decl.find()) {
            int open = decl.end() - 1;
            int close = matching(source, open);
            if (close < 0) continue;
            if (!parameterTypes(source.substring(open + 1, close)).equals(wanted)) continue;
            int start = source.lastIndexOf("\n", decl.start());
            String before = source.substring(0, start + 1);
            int end = before.lastIndexOf("*/");
            int begin = before.lastIndexOf("/**");
            if (end < 0 || begin < 0 || begin > end) return null;
            // only annotations, modifiers, type parameters and the return type between the comment and the name
            String between = before.substring(end + 2).strip();
            if (between.contains(";") || between.contains("}") || between.contains("{")) return null;
            return before.substring(begin, end + 2);
        }
        return null;
    }

    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == '(') depth++;
            else if (s.charAt(i) == ')' && --depth == 0) return i;
        }
        return -1;
    }

    /** {@code Map<String, ?> arguments, Executor executor} → [Map, Executor]; empty for the arguments of a call. */
    private static List<String> parameterTypes(String params) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (char ch : (params + ",").toCharArray()) {
            if (ch == '<') depth++;
            else if (ch == '>') depth--;
            if (ch == ',' && depth == 0) {
                String p =
                        current.toString().strip().replaceAll("@\\w+\\s+", "").replaceAll("^final\\s+", "");
                current.setLength(0);
                if (p.isEmpty()) continue;
                if (p.lastIndexOf(' ') < 0) return List.of(); // a call, not a declaration
                String type = p.substring(0, p.lastIndexOf(' '))
                        .replaceAll("<.*>", "")
                        .strip();
                if (type.endsWith("...")) type = type.substring(0, type.length() - 3) + "[]";
                out.add(type.substring(type.lastIndexOf('.') + 1));
            } else {
                current.append(ch);
            }
        }
        return out;
    }

    private static Class<?> topLevel(Class<?> c) {
        while (c.getDeclaringClass() != null) c = c.getDeclaringClass();
        return c;
    }

    /** The public types of io.starling, nested ones included. */
    private static List<Class<?>> apiTypes() throws IOException {
        Path dir = moduleDirectory().resolve("src/main/java/io/starling");
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String name = f.getFileName().toString().replace(".java", "");
                try {
                    add(out, Class.forName("io.starling." + name));
                } catch (ClassNotFoundException e) {
                    throw new AssertionError("no class for " + f, e);
                }
            }
        }
        return out;
    }

    private static void add(List<Class<?>> out, Class<?> c) {
        if (!Modifier.isPublic(c.getModifiers())) return;
        out.add(c);
        for (Class<?> nested : c.getDeclaredClasses()) add(out, nested);
    }

    private static Path moduleDirectory() {
        return BuildPaths.moduleDirectory(StarlingApiTest.class);
    }
}
