package io.starling.soak;

import io.starling.testsupport.ArchitectureRules;
import io.starling.testsupport.StarlingModule;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The architecture rules (docs/ARCHITECTURE.md, starling-test-support) over this module's classes. */
class SoakArchitectureTest {
    @TestFactory
    Stream<DynamicTest> architecture() {
        return ArchitectureRules.tests(StarlingModule.SOAK, SoakArchitectureTest.class);
    }
}
