package io.starling.testing.model;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The model is independent of what it checks: it uses nothing of Starling — not the engine's document state, merge,
 * stamp order, counter sums or codec — only the JDK (and JSpecify's nullness annotations, which carry no code).
 */
class ModelIndependenceTest {

    @Test
    void theModelUsesOnlyTheJdk() {
        JavaClasses model = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.starling.testing.model");
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideOutsideOfPackages("java..", "io.starling.testing.model..", "org.jspecify.annotations..")
                .because("the model must not reuse the implementation it checks")
                .check(model);
    }
}
