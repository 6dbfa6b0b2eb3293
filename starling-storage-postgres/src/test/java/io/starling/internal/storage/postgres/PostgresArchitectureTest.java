package io.starling.internal.storage.postgres;

import io.starling.testsupport.ArchitectureRules;
import io.starling.testsupport.StarlingModule;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The architecture rules (docs/ARCHITECTURE.md, starling-test-support) over this module's classes. */
class PostgresArchitectureTest {
    @TestFactory
    Stream<DynamicTest> architecture() {
        return ArchitectureRules.tests(StarlingModule.STORAGE_POSTGRES, PostgresArchitectureTest.class);
    }
}
