package io.starling;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of docs/ARCHITECTURE.md: the merge and query logic is pure (no I/O, threads,
 * wall clock or unseeded randomness), the layers depend one way, and the public API exposes no internals.
 */
class ArchitectureTest {
    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // the tests' own support (seeds of randomized tests) is a test dependency, not library code
            .withImportOption(location -> !location.contains("/io/starling/testsupport/"))
            .importPackages("io.starling");

    static final String[] PURE = {
        "io.starling.internal.core..",
        "io.starling.internal.crdt..",
        "io.starling.internal.index..",
        "io.starling.internal.query..",
        "io.starling.internal.sync.."
    };

    @Test
    void pureLayersDoNoIo() {
        check(noClasses()
                .that()
                .resideInAnyPackage(PURE)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.io..",
                        "java.nio.file..",
                        "java.nio.channels..",
                        "java.net..",
                        "java.sql..",
                        "java.util.logging..",
                        "org.slf4j..",
                        "org.sqlite..")
                .because("merge and query logic is pure: the simulator runs it deterministically"));
    }

    @Test
    void pureLayersStartNoThreads() {
        check(noClasses()
                .that()
                .resideInAnyPackage(PURE)
                .should()
                .dependOnClassesThat()
                .areAssignableTo(Thread.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(java.util.concurrent.Executor.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(java.util.concurrent.Future.class)
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.lang.ThreadLocal"));
    }

    @Test
    void pureLayersReadNoClockAndNoUnseededRandomness() {
        ArchRule rule = noClasses()
                .that()
                .resideInAnyPackage(PURE)
                .should()
                .callMethod(System.class, "currentTimeMillis")
                .orShould()
                .callMethod(System.class, "nanoTime")
                .orShould()
                .callMethod(Instant.class, "now")
                .orShould()
                .callMethod(LocalDate.class, "now")
                .orShould()
                .callMethod(LocalDateTime.class, "now")
                .orShould()
                .callMethod(OffsetDateTime.class, "now")
                .orShould()
                .callMethod(ZonedDateTime.class, "now")
                .orShould()
                .callMethod(Clock.class, "systemUTC")
                .orShould()
                .callMethod(Clock.class, "systemDefaultZone")
                .orShould()
                .callMethod(Math.class, "random")
                .orShould()
                .callMethod(UUID.class, "randomUUID")
                .orShould()
                .callConstructor(Random.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(SecureRandom.class)
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.util.concurrent.ThreadLocalRandom")
                .because("time and randomness are passed in, so that a seed replays a run");
        check(rule);
    }

    @Test
    void layersDependOneWay() {
        check(noClasses()
                .that()
                .resideInAnyPackage(
                        "io.starling.internal.core..", "io.starling.internal.crdt..", "io.starling.internal.index..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.starling.internal.query..",
                        "io.starling.internal.storage..",
                        "io.starling.internal.engine..",
                        "io.starling"));
        check(noClasses()
                .that()
                .resideInAPackage("io.starling.internal.query..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.starling.internal.storage..", "io.starling.internal.engine..", "io.starling"));
        check(noClasses()
                .that()
                .resideInAPackage("io.starling.internal.storage..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.starling.internal.core..",
                        "io.starling.internal.crdt..",
                        "io.starling.internal.query..",
                        "io.starling.internal.engine..",
                        "io.starling"));
    }

    @Test
    void theSyncProtocolKnowsOnlyTheCore() {
        check(noClasses()
                .that()
                .resideInAPackage("io.starling.internal.sync..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.starling.internal.query..",
                        "io.starling.internal.storage..",
                        "io.starling.internal.engine..",
                        "io.starling")
                .because("sessions reach the store only through SyncStoreView"));
    }

    @Test
    void libraryCodeLogsOnlyThroughSlf4j() {
        check(noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.util.logging..", "org.apache.log4j..")
                .orShould()
                .accessField(System.class, "out")
                .orShould()
                .accessField(System.class, "err"));
    }

    @Test
    void androidLacksTheseApis() {
        check(noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.net.http..", "sun..", "com.sun..", "java.awt..", "javax.swing.."));
    }

    @Test
    void publicApiExposesNoInternals() {
        DescribedPredicate<JavaClass> internal =
                DescribedPredicate.describe("internal", c -> c.getPackageName().startsWith("io.starling.internal"));
        check(methods()
                .that()
                .areDeclaredInClassesThat()
                .resideInAPackage("io.starling")
                .and()
                .arePublic()
                .should()
                .haveRawReturnType(DescribedPredicate.not(internal))
                .andShould()
                .haveRawParameterTypes(DescribedPredicate.describe(
                        "no internal parameter", params -> params.stream().noneMatch(internal))));
        check(classes()
                .that()
                .resideOutsideOfPackages("io.starling.internal..", "io.starling")
                .should()
                .resideInAPackage("io.starling.cli..")
                .allowEmptyShould(true)
                .because("the library's only public package is io.starling; everything else is internal"));
    }

    private static void check(ArchRule rule) {
        rule.check(CLASSES);
    }
}
