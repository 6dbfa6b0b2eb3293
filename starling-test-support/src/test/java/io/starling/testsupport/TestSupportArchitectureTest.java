package io.starling.testsupport;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The architecture rules (docs/ARCHITECTURE.md) over this module's classes. */
class TestSupportArchitectureTest {
    @TestFactory
    Stream<DynamicTest> architecture() {
        return ArchitectureRules.tests(StarlingModule.TEST_SUPPORT, TestSupportArchitectureTest.class);
    }
}
