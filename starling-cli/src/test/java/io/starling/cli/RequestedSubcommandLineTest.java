package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Registering only the requested subcommand (a start-up saving) changes nothing a user sees. */
class RequestedSubcommandLineTest {
    @TempDir
    Path dir;

    @CommandLine.Command(name = "top")
    static final class Top {}

    @CommandLine.Command(name = "a")
    static final class A {}

    @CommandLine.Command(name = "b")
    static final class B {}

    private static CommandLine line(String... args) {
        return new RequestedSubcommandLine(new Top(), args)
                .addSubcommand("exec", new A())
                .addSubcommand("keygen", new B())
                .addSubcommand("help", new CommandLine.HelpCommand());
    }

    @Test
    void aStandaloneSubcommandIsRegisteredAlone() {
        assertThat(line("exec", "--db", "x").getSubcommands().keySet()).containsExactly("exec");
        assertThat(line("keygen").getSubcommands().keySet()).containsExactly("keygen");
    }

    @Test
    void helpOptionsTyposAndNothingGetEverySubcommand() {
        for (String[] args : new String[][] {{"help", "exec"}, {"--help"}, {"exce"}, {}}) {
            assertThat(line(args).getSubcommands().keySet())
                    .as(String.join(" ", args))
                    .containsExactly("exec", "keygen", "help");
        }
    }

    @Test
    void theCliStillHelpsWithOtherCommandsAndTypos() {
        Result help = cli().run("help", "exec");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).startsWith("Usage: starling exec ");

        Result typo = cli().run("exce");
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).contains("Did you mean").contains("exec");

        Result execHelp = cli().run("exec", "--help");
        assertThat(execHelp.exitCode()).isZero();
        assertThat(execHelp.out()).startsWith("Usage: starling exec ");

        Result exec = cli().run("exec", "--db", dir.resolve("db").toString(), "SELECT * FROM cars");
        assertThat(exec.err()).isEmpty();
        assertThat(exec.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}\n");
    }
}
