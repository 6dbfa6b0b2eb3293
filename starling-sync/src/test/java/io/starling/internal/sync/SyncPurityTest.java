package io.starling.internal.sync;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The sync protocol is pure — no I/O, threads, clock or unseeded randomness, so that the simulator replays it from
 * a seed — and its public surface is the session API, the messages, the codec, the config and the listener.
 * (ArchitectureTest in the starling module checks the whole build; this keeps the rule next to the code.)
 */
class SyncPurityTest {
    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.starling.internal.sync");

    @Test
    void noIoNoThreadsNoLogging() {
        noClasses()
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
                        "java.util.concurrent..")
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Thread.class)
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.lang.ThreadLocal")
                .because("the protocol is a state machine fed messages and ticks")
                .check(CLASSES);
    }

    @Test
    void noClockNoUnseededRandomness() {
        noClasses()
                .should()
                .callMethod(System.class, "currentTimeMillis")
                .orShould()
                .callMethod(System.class, "nanoTime")
                .orShould()
                .callMethod(Instant.class, "now")
                .orShould()
                .callMethod(LocalDateTime.class, "now")
                .orShould()
                .callMethod(Clock.class, "systemUTC")
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
                .accessField(System.class, "out")
                .orShould()
                .accessField(System.class, "err")
                .because("time comes in as onTick's argument")
                .check(CLASSES);
    }

    @Test
    void smallPublicSurface() {
        Set<String> allowed = Set.of(
                "SyncSession",
                "SessionConfig",
                "SessionConfig$Builder",
                "SessionListener",
                "SyncStoreView",
                "Message",
                "WireCodec",
                "WireException",
                "FrameDecoder",
                "FrameEncoder",
                "Subscription",
                "SubscriptionKey");
        classes()
                .that()
                .arePublic()
                .and()
                .areTopLevelClasses()
                .should()
                .haveNameMatching("io\\.starling\\.internal\\.sync\\.("
                        + String.join("|", allowed).replace("$", "\\$") + ")")
                .check(CLASSES);
        classes()
                .that()
                .areNotPublic()
                .and()
                .areTopLevelClasses()
                .and()
                .doNotHaveSimpleName("package-info") // the package's annotations (@NullMarked)
                .should()
                .haveModifier(JavaModifier.FINAL)
                .because("internals are package-private final classes")
                .check(CLASSES);
    }
}
