package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.starling.internal.core.fixture.ReachesUp;
import io.starling.internal.core.fixture.StaysDown;
import io.starling.testsupport.fixture.api.ApiFixtures;
import io.starling.testsupport.fixture.app.AppFixtures;
import io.starling.testsupport.fixture.app.EntryPoint;
import io.starling.testsupport.fixture.app.other.Shared;
import io.starling.testsupport.fixture.pure.PureFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rules can fail: each is run over fixture classes that break it one way each (and over ones that keep it), in
 * this module's test sources. And they see every module: the module list matches the root pom, and every module runs
 * them.
 */
class ArchitectureRulesTest {

    private static List<String> violators(List<ArchRule> rules, Class<?>... classes) {
        JavaClasses imported = new ClassFileImporter().importClasses(classes);
        List<String> details = new ArrayList<>();
        for (ArchRule rule : rules) {
            EvaluationResult result = rule.evaluate(imported);
            details.addAll(result.getFailureReport().getDetails());
        }
        return details;
    }

    @Test
    void purityCatchesClockRandomThreadsIoPrintingAndTheEnvironment() {
        List<ArchRule> purity = ArchitectureRules.purity(List.of("io.starling.testsupport.fixture.pure.."));
        Map<Class<?>, String> breaking = new TreeMap<>(java.util.Comparator.comparing(Class::getName));
        breaking.put(PureFixtures.ReadsTheClock.class, "System.currentTimeMillis()");
        breaking.put(PureFixtures.CallsInstantNow.class, "Instant.now()");
        breaking.put(PureFixtures.UsesUnseededRandom.class, "Random.<init>()");
        breaking.put(PureFixtures.Shuffles.class, "Collections.shuffle(java.util.List)");
        breaking.put(PureFixtures.StartsAThread.class, "Thread");
        breaking.put(PureFixtures.UsesAnAtomic.class, "AtomicLong");
        breaking.put(PureFixtures.DoesIo.class, "java.nio.file.Files");
        breaking.put(PureFixtures.PrintsToStdout.class, "System.out");
        breaking.put(PureFixtures.ReadsTheEnvironment.class, "System.getenv(java.lang.String)");
        breaking.forEach((c, what) -> assertThat(String.join("\n", violators(purity, c)))
                .as(c.getSimpleName() + " breaks purity")
                .contains(c.getName())
                .contains(what));
        assertThat(violators(purity, PureFixtures.UsesSeededRandom.class))
                .as("a seeded Random is an input")
                .isEmpty();
    }

    @Test
    void theGraphCatchesAModuleReachingUp() {
        List<ArchRule> graph = List.of(ArchitectureRules.graph(StarlingModule.CORE));
        assertThat(violators(graph, ReachesUp.class))
                .singleElement()
                .asString()
                .contains(ReachesUp.class.getName())
                .contains("io.starling.internal.query.fixture.QueryThing");
        assertThat(violators(graph, StaysDown.class)).isEmpty();
    }

    @Test
    void thePublicApiRulesCatchInternalsAndHandlesWhoseCloseThrows() {
        List<ArchRule> api = ArchitectureRules.publicApi(List.of("io.starling.testsupport.fixture.api"));
        String all = String.join("\n", violators(api, ApiFixtures.class.getDeclaredClasses()));
        assertThat(all)
                .contains(
                        "ApiFixtures$Service.leak() shows the internal type io.starling.internal.query.fixture.QueryThing")
                .doesNotContain("hidden()")
                .contains("ApiFixtures$InternalSubtype extends or implements the internal "
                        + "io.starling.internal.query.fixture.InternalContract")
                .contains("ApiFixtures$ThrowingHandle.close() throws [java.lang.Exception]")
                .doesNotContain("GoodHandle.close() throws")
                .contains("ApiFixtures$Service.observeBare() returns java.lang.AutoCloseable, whose close() throws "
                        + "[java.lang.Exception]")
                .doesNotContain("observe() returns");
    }

    @Test
    void applicationsMakePublicOnlyEntryPointsAndWhatAnotherPackageUses() {
        List<ArchRule> surface = List.of(ArchitectureRules.applicationSurface());
        assertThat(violators(surface, AppFixtures.class, EntryPoint.class, Shared.class))
                .singleElement()
                .asString()
                .contains(AppFixtures.class.getName() + " is public, has no main and is used only in its own package");
    }

    @Test
    void theModuleListMatchesTheRootPom() throws IOException {
        String pom = Files.readString(root().resolve("pom.xml"));
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        while (m.find()) modules.add(m.group(1));
        assertThat(modules)
                .as("the modules of the root pom, each described in StarlingModule")
                .containsExactlyInAnyOrder(Stream.of(StarlingModule.values())
                        .map(StarlingModule::artifactId)
                        .toArray(String[]::new));
    }

    @Test
    void everyModuleRunsTheRulesOverItsOwnClasses() throws IOException {
        for (StarlingModule module : StarlingModule.values()) {
            Path tests = root().resolve(module.artifactId()).resolve("src/test/java");
            List<String> callers;
            try (Stream<Path> files = Files.walk(tests)) {
                callers = files.filter(p -> p.toString().endsWith(".java"))
                        .filter(p -> read(p).contains("ArchitectureRules.tests(StarlingModule." + module.name() + ","))
                        .map(p -> tests.relativize(p).toString())
                        .toList();
            }
            assertThat(callers)
                    .as(module.artifactId() + " has a test running ArchitectureRules.tests(StarlingModule."
                            + module.name() + ", …)")
                    .hasSize(1);
        }
    }

    /** Every rule the modules run has a description a failure can be read by. */
    @Test
    void everyModuleGetsTheSharedRulesAndTheirNamesAreReadable() {
        for (StarlingModule module : StarlingModule.values()) {
            List<ArchRule> rules = ArchitectureRules.rules(module);
            assertThat(rules).extracting(ArchRule::getDescription).doesNotHaveDuplicates();
            assertThat(rules.size()).as(module + " rules").isGreaterThanOrEqualTo(9);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path root() {
        return BuildPaths.repositoryRoot(ArchitectureRulesTest.class);
    }
}
