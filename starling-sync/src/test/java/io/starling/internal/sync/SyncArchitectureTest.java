package io.starling.internal.sync;

import io.starling.testsupport.ArchitectureRules;
import io.starling.testsupport.StarlingModule;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The architecture rules (docs/ARCHITECTURE.md, starling-test-support) over this module's classes. */
class SyncArchitectureTest {
    @TestFactory
    Stream<DynamicTest> architecture() {
        return ArchitectureRules.tests(StarlingModule.SYNC, SyncArchitectureTest.class);
    }
}
