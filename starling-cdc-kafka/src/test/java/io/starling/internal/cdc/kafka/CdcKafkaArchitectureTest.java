package io.starling.internal.cdc.kafka;

import io.starling.testsupport.ArchitectureRules;
import io.starling.testsupport.StarlingModule;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The architecture rules (docs/ARCHITECTURE.md, starling-test-support) over this module's classes. */
class CdcKafkaArchitectureTest {
    @TestFactory
    Stream<DynamicTest> architecture() {
        return ArchitectureRules.tests(StarlingModule.CDC_KAFKA, CdcKafkaArchitectureTest.class);
    }
}
