package io.starling.internal.query;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/** The query layer is pure: no clock reads, no I/O, no threads, no unseeded randomness. */
class PurityTest {
    private static final JavaClasses QUERY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.starling.internal.query");

    @Test
    void readsNoClock() {
        ArchRule rule = noClasses()
                .should()
                .callMethod(System.class, "currentTimeMillis")
                .orShould()
                .callMethod(System.class, "nanoTime")
                .orShould()
                .callMethodWhere(com.tngtech.archunit.core.domain.JavaCall.Predicates.target(
                        com.tngtech.archunit.core.domain.properties.HasName.Predicates.name("now")))
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.time.Clock")
                .orShould()
                .callConstructor(java.util.Date.class)
                .because("the current time comes in through EvalContext.nowMillis");
        rule.check(QUERY);
    }

    @Test
    void doesNoIoAndStartsNoThreads() {
        ArchRule rule = noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.io..", "java.nio.file..", "java.net..", "java.util.concurrent..", "java.sql..")
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Thread.class)
                .because("the query layer is pure; the engine owns I/O and threads");
        rule.check(QUERY);
    }

    @Test
    void usesNoUnseededRandomness() {
        ArchRule rule = noClasses()
                .should()
                .callMethod(Math.class, "random")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.util.Random")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.security.SecureRandom")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.util.UUID");
        rule.check(QUERY);
    }
}
