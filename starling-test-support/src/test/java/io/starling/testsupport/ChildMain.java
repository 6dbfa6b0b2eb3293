package io.starling.testsupport;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The child of {@link ChildJvmTest}: prints its arguments on stdout, one a line, and {@code err:} lines on stderr,
 * then echoes stdin lines back upper-cased until end of file (or until a line {@code exit N}, exit status N). Its
 * shutdown hook prints {@code shutdown hook ran} on stderr.
 */
public final class ChildMain {
    private ChildMain() {}

    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("shutdown hook ran")));
        for (String a : args) System.out.println(a);
        System.err.println("err: started with " + args.length + " arguments");
        System.err.println("tmpdir " + System.getProperty("java.io.tmpdir"));
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("exit ")) System.exit(Integer.parseInt(line.substring(5)));
            System.out.println(line.toUpperCase(java.util.Locale.ROOT));
            System.out.flush();
        }
        System.out.println("stdin closed");
    }
}
