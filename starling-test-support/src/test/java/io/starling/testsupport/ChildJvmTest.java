package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.testsupport.ChildJvm.Output;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildJvmTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void runsAMainOfTheTestClassPathAndReadsItsOutputLineByLine() throws Exception {
        try (ChildJvm child = ChildJvm.builder(ChildMain.class)
                .args("one", "two")
                .fastStart()
                .temporaryFiles(dir.resolve("tmp"))
                .start()) {
            assertThat(child.nextLine(START)).isEqualTo("one");
            assertThat(child.nextLine(START)).isEqualTo("two");
            child.writeLine("hello");
            assertThat(child.nextLine(START)).isEqualTo("HELLO");
            assertThat(child.awaitLine(Output.STDERR, "the tmpdir line", START, l -> l.startsWith("tmpdir ")))
                    .isEqualTo("tmpdir " + dir.resolve("tmp"));
            child.closeStdin();
            assertThat(child.nextLine(START)).isEqualTo("stdin closed");
            assertThat(child.awaitExit(START)).isZero();
            assertThat(child.nextLine(START)).as("end of stdout").isNull();
            assertThat(child.lines(Output.STDOUT)).containsExactly("one", "two", "HELLO", "stdin closed");
            assertThat(child.text(Output.STDERR)).startsWith("err: started with 2 arguments\n");
        }
    }

    @Test
    void reportsTheExitStatus() throws Exception {
        try (ChildJvm child = ChildJvm.builder(ChildMain.class).start()) {
            child.writeLine("exit 3");
            assertThat(child.awaitExit(START)).isEqualTo(3);
        }
    }

    @Test
    void aLineThatNeverComesFailsQuotingTheOutput() throws Exception {
        try (ChildJvm child =
                ChildJvm.builder(ChildMain.class).name("echo").args("only").start()) {
            // the output is there first (a JVM can take longer than 200 ms to start on a loaded machine)
            child.awaitLine(Output.STDOUT, "the first line", START, "only"::equals);
            assertThatThrownBy(() -> child.awaitLine(Output.STDOUT, "the word", Duration.ofMillis(200), "word"::equals))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("echo: the word not on STDOUT within 200 ms")
                    .hasMessageContaining("--- stdout of echo ---\nonly\n");
            child.closeStdin();
            assertThatThrownBy(() -> child.awaitLine(Output.STDOUT, "the word", START, "word"::equals))
                    .hasMessageContaining("echo: the word never came on STDOUT, the stream ended");
        }
    }

    @Test
    void killEndsTheChildAtOnceAndCloseIsSafeAfterwards() throws Exception {
        ChildJvm child = ChildJvm.builder(ChildMain.class).args("ready").start();
        assertThat(child.nextLine(START)).isEqualTo("ready");
        long pid = child.pid();
        child.kill();
        assertThat(child.isAlive()).isFalse();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
        child.close();
        child.close();
    }

    @Test
    void stopSendsSigtermAndReturnsTheStatus() throws Exception {
        try (ChildJvm child = ChildJvm.builder(ChildMain.class).args("ready").start()) {
            assertThat(child.nextLine(START)).isEqualTo("ready");
            assertThat(child.stop(START)).isEqualTo(143); // 128 + SIGTERM: the JVM ran its shutdown
            assertThat(child.lines(Output.STDERR))
                    .as("what it printed while stopping")
                    .contains("shutdown hook ran");
        }
    }

    @Test
    void closeKillsARunningChild() throws Exception {
        ChildJvm child = ChildJvm.builder(ChildMain.class).args("ready").start();
        assertThat(child.nextLine(START)).isEqualTo("ready");
        child.close();
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void environmentIsSetAndFiltered() throws Exception {
        try (ChildJvm child = ChildJvm.builder(EnvMain.class)
                .environment("STARLING_TEST_SET", "yes")
                .removeEnvironment(n -> n.equals("PATH"))
                .stdinFromNull()
                .start()) {
            assertThat(child.awaitExit(START)).isZero();
            assertThat(child.lines(Output.STDOUT)).containsExactly("STARLING_TEST_SET=yes", "PATH=null");
        }
    }

    /** Prints two environment variables. */
    public static final class EnvMain {
        public static void main(String[] args) throws Exception {
            System.out.println("STARLING_TEST_SET=" + System.getenv("STARLING_TEST_SET"));
            System.out.println("PATH=" + System.getenv("PATH"));
            if (System.in.read() != -1) System.exit(9); // stdin is at end of file
        }
    }
}
