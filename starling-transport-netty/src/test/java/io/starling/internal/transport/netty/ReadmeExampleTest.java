package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.transport.SharedKeys;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The README's Java snippets, read from README.md itself, so that they cannot drift: each {@code ```java} block is
 * compiled exactly as written (its {@code import} lines at the top of a class, the rest as the body of a method; a
 * block without imports gets those of the first), and then run. The runs change only what must not leave this
 * machine or this build's directory: the database directory and key file go to a temporary directory, and the
 * network snippet listens on 127.0.0.1, dials a peer started here on loopback instead of {@code server.example.org},
 * and does not announce itself on the LAN. The README's error-code sentence is checked against {@link ErrorCode}.
 */
class ReadmeExampleTest extends NetworkTestBase {
    static final Pattern JAVA_BLOCK = Pattern.compile("(?s)```java\\n(.*?)```");

    static String readme() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("README.md"))) dir = dir.getParent();
        assertThat(dir).as("a README.md above " + Path.of("").toAbsolutePath()).isNotNull();
        return Files.readString(dir.resolve("README.md"), StandardCharsets.UTF_8);
    }

    static List<String> javaBlocks() throws IOException {
        List<String> blocks = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(readme());
        while (m.find()) blocks.add(m.group(1));
        return blocks;
    }

    /**
     * A block as a class {@code name} with {@code static void run()}: its imports first, its one-line type
     * declarations ({@code record Car(...) {}}) as members of the class, the rest inside run().
     */
    static String asClass(String name, String block, String defaultImports) {
        StringBuilder imports = new StringBuilder();
        StringBuilder types = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n", -1)) {
            if (line.startsWith("import ")) imports.append(line).append('\n');
            else if (line.startsWith("record ") || line.startsWith("class "))
                types.append("  ").append(line).append('\n');
            else body.append(line).append('\n');
        }
        return (imports.length() == 0 ? defaultImports : imports) + "public class " + name + " {\n" + types
                + "  public static void run() throws Exception {\n" + body + "  }\n}\n";
    }

    /** Compiles {@code sources} (class name to text) into {@code out}; fails with the compiler's messages. */
    static void compile(Map<String, String> sources, Path out) throws IOException {
        Path src = Files.createDirectories(out.resolve("src"));
        List<File> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            files.add(Files.writeString(src.resolve(e.getKey() + ".java"), e.getValue())
                    .toFile());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classPath = Starling.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .getPath()
                + File.pathSeparator
                + System.getProperty("java.class.path");
        StringWriter messages = new StringWriter();
        try (var fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(
                            messages,
                            fm,
                            null,
                            List.of("--release", "17", "-classpath", classPath, "-d", out.toString()),
                            null,
                            fm.getJavaFileObjectsFromFiles(files))
                    .call();
            assertThat(ok)
                    .as("the README's Java compiles as written:\n" + messages + "\n"
                            + String.join("\n----\n", sources.values()))
                    .isTrue();
        }
    }

    /** Runs a compiled block and returns what it printed on stdout (still passed on to the real stdout). */
    static String run(Path classes, String name) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader())) {
            Method run = loader.loadClass(name).getMethod("run");
            System.setOut(new PrintStream(new TeeStream(printed, original), true, StandardCharsets.UTF_8));
            run.invoke(null);
        } finally {
            System.setOut(original);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }

    /** What a block says it prints: the comments after its {@code System.out.println(...);} lines. */
    static List<String> promisedOutput(String block) {
        List<String> out = new ArrayList<>();
        Matcher m =
                Pattern.compile("System\\.out\\.println\\(.*\\);\\s*//\\s*(.+)").matcher(block);
        while (m.find()) out.add(m.group(1).strip());
        return out;
    }

    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }

    static String replace(String text, String what, String with) {
        assertThat(text).as("the README snippet still contains " + what).contains(what);
        return text.replace(what, with);
    }

    @Test
    void theJavaSnippetsCompileAsWrittenAndRun() throws Exception {
        List<String> blocks = javaBlocks();
        assertThat(blocks)
                .as("the README's Java blocks: the embedded store, then the network")
                .hasSize(2);
        String imports =
                blocks.get(0).lines().filter(l -> l.startsWith("import ")).collect(Collectors.joining("\n", "", "\n"));

        Map<String, String> verbatim = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++)
            verbatim.put("ReadmeBlock" + i, asClass("ReadmeBlock" + i, blocks.get(i), imports));
        compile(verbatim, tmp.resolve("verbatim"));

        // the first block, with its database in the temporary directory
        String data = tmp.resolve("data").toString().replace("\\", "\\\\");
        String store = replace(blocks.get(0), "Path.of(\"data\")", "Path.of(\"" + data + "\")");

        // the second: its key made here, its listener and the "server" on loopback, no LAN announcements
        Path key = tmp.resolve("app.key");
        SharedKeys.generate(key);
        String appId = appIdOf(blocks.get(1));
        Starling server =
                peer(c -> c.appId(appId).identity(Identity.sharedKey(key)).listen("127.0.0.1:0"));
        String network = blocks.get(1);
        network = replace(
                network,
                "Path.of(\"data\")",
                "Path.of(\"" + tmp.resolve("net").toString().replace("\\", "\\\\") + "\")");
        network = replace(
                network, "Path.of(\"app.key\")", "Path.of(\"" + key.toString().replace("\\", "\\\\") + "\")");
        network = replace(network, "\"0.0.0.0:7400\"", "\"127.0.0.1:0\"");
        network = replace(
                network,
                "\"server.example.org:7400\"",
                "\"127.0.0.1:" + endpoint(server).port() + "\"");
        network = replace(network, ".lan(true)", ".lan(false)");

        Path classes = tmp.resolve("run");
        compile(
                Map.of(
                        "RunBlock0",
                        asClass("RunBlock0", store, imports),
                        "RunBlock1",
                        asClass("RunBlock1", network, imports)),
                classes);
        String printed = run(classes, "RunBlock0");
        assertThat(promisedOutput(blocks.get(0))).isNotEmpty();
        for (String promised : promisedOutput(blocks.get(0))) {
            assertThat(printed).as("what the README says the snippet prints").contains(promised);
        }
        run(classes, "RunBlock1");

        // what the snippets wrote is there
        try (Starling db = Starling.open(
                StarlingConfig.builder().databaseDirectory(tmp.resolve("data")).build())) {
            assertThat(db.store().execute("SELECT * FROM cars").items())
                    .singleElement()
                    .satisfies(i -> assertThat(i.value()).containsEntry("sold", true));
        }
        try (Starling db = Starling.open(
                StarlingConfig.builder().databaseDirectory(tmp.resolve("net")).build())) {
            assertThat(db.config().appId()).isEqualTo(appId);
            assertThat(count(db, "tasks")).isEqualTo(1);
        }
    }

    static String appIdOf(String block) {
        Matcher m = Pattern.compile("\\.appId\\(\"([^\"]+)\"\\)").matcher(block);
        assertThat(m.find()).as("the network snippet names its app id").isTrue();
        return m.group(1);
    }

    /** The CLI examples and the library snippet are one app, so that a reader's peers meet. */
    @Test
    void theCliExamplesUseTheAppIdOfTheLibrarySnippet() throws IOException {
        String appId = appIdOf(javaBlocks().get(1));
        String readme = readme();
        Matcher commands = Pattern.compile("bin/starling (shell|peer)[^\\n`]*").matcher(readme);
        List<String> syncing = new ArrayList<>();
        while (commands.find()) {
            String command = commands.group();
            if (command.contains("--listen") || command.contains("--connect")) syncing.add(command);
        }
        assertThat(syncing).isNotEmpty().allSatisfy(c -> assertThat(c).contains("--app " + appId));
    }

    /** Every error code the README names exists, with the string it gives. */
    @Test
    void theErrorCodesTheReadmeNamesExist() throws IOException {
        String readme = readme();
        Set<String> codes =
                Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toSet());
        Matcher named = Pattern.compile("ErrorCode\\.([A-Z_]+)").matcher(readme);
        Set<String> constants = new TreeSet<>();
        while (named.find()) constants.add(named.group(1));
        assertThat(constants).isNotEmpty();
        for (String c : constants) ErrorCode.valueOf(c);
        Matcher strings = Pattern.compile("`((?:query|document|store|config|network|sync|transaction)/[a-z-]+)`")
                .matcher(readme);
        Set<String> mentioned = new TreeSet<>();
        while (strings.find()) mentioned.add(strings.group(1));
        assertThat(mentioned).isNotEmpty();
        assertThat(codes).containsAll(mentioned);
    }
}
