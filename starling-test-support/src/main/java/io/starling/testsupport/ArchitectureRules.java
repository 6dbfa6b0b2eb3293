package io.starling.testsupport;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.PackageMatchers;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * The architecture rules of docs/ARCHITECTURE.md, one set for every module. Each module runs them over its own main
 * classes with a test of one method:
 *
 * <pre>{@code
 * class CoreArchitectureTest {
 *     @TestFactory
 *     Stream<DynamicTest> architecture() {
 *         return ArchitectureRules.tests(StarlingModule.CORE, CoreArchitectureTest.class);
 *     }
 * }
 * }</pre>
 *
 * <p>Why in each module rather than once over all classes: a module's own build ({@code mvn -pl starling-core
 * verify}) checks it, a violation fails the module that has it, and which module a class belongs to is a fact (the
 * module's {@code target/classes}), not a guess from its package name. The rules that need the whole build — every
 * module has this test, and the module list matches the root pom — are {@code ArchitectureRulesTest} in this module.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li><b>the module's packages</b>: every class lies in one of the packages {@link StarlingModule} gives its
 *       module, so a new package is a decision made there (with what it may use);
 *   <li><b>the one-way graph</b>: a module's code uses, of Starling's packages, only its own and those the graph
 *       gives it ({@link StarlingModule#reachablePackages()}): the core knows nothing above it, query and sync only
 *       the core, storage nothing, the applications only the public API, the transport the network SPI;
 *   <li><b>purity</b> of the merge, query and sync logic ({@link StarlingModule#PURE_PACKAGES}): no I/O, no threads
 *       or concurrency utilities, no clock, no unseeded randomness, no environment reads, no printing — time, ids
 *       and randomness come in as arguments, so that a seed replays a run of the simulator;
 *   <li><b>library hygiene</b> (library modules): logging through SLF4J only, nothing printed, only JDK APIs that
 *       Android has; public types only in the API packages or under {@code io.starling.internal};
 *   <li><b>the public API</b> ({@link StarlingModule#API_PACKAGES}): no internal type in a public signature or as a
 *       supertype; every {@code AutoCloseable} it hands out closes without a checked exception;
 *   <li><b>small surfaces</b>: in application modules a class is public only if it is an entry point ({@code
 *       main}) or used from another package; the sync protocol's public types are the session API (with the session's
 *       remote identity and the pure rules its store and driver share), the messages, the codec and the framing.
 * </ul>
 */
public final class ArchitectureRules {
    private static final String INTERNAL = "io.starling.internal..";

    /** The types the sync module shows its users (the engine, the transport, the simulator). */
    static final Set<String> SYNC_PUBLIC_TYPES = Set.of(
            "SyncSession",
            "SessionConfig",
            "SessionConfig$Builder",
            "SessionListener",
            "SyncStoreView",
            "Message",
            "BlobMessage",
            "WireCodec",
            "WireException",
            "ZombieRule",
            "DuplicateRule",
            "DuplicateRule$Side",
            "Principal",
            "RemoteAccess",
            "RemoteIdentity",
            "RevocationState",
            "ResumeMemory",
            "RevocationVerifier",
            "RevocationVerifier$Verdict",
            "VerifiedRevocations",
            "FrameDecoder",
            "FrameEncoder",
            "Subscription",
            "SubscriptionKey");

    private ArchitectureRules() {}

    /** One dynamic test per rule, over the main classes of the module whose test class is {@code testClass}. */
    public static Stream<DynamicTest> tests(StarlingModule module, Class<?> testClass) {
        JavaClasses classes = mainClasses(testClass);
        return rules(module).stream()
                .map(rule -> DynamicTest.dynamicTest(rule.getDescription(), () -> rule.check(classes)));
    }

    /**
     * The main classes of the module that holds {@code testClass}: its {@code target/classes}, next to the {@code
     * target/test-classes} the test class was loaded from.
     */
    public static JavaClasses mainClasses(Class<?> testClass) {
        Path testClasses = BuildPaths.classesDirectory(testClass);
        Path main = testClasses.resolveSibling("classes");
        if (!Files.isDirectory(main)) {
            throw new IllegalStateException("no main classes at " + main + " (next to " + testClasses + ")");
        }
        return new ClassFileImporter().importPath(main);
    }

    /** The rules that apply to {@code module}'s classes. */
    public static List<ArchRule> rules(StarlingModule module) {
        List<ArchRule> rules = new ArrayList<>();
        rules.add(classes()
                .should()
                .resideInAnyPackage(module.packages().toArray(String[]::new))
                .as("every class of " + module.artifactId() + " lies in its packages " + module.packages())
                .because("a new package is a decision: add it to StarlingModule with what it may use"));
        rules.add(graph(module));
        rules.addAll(purity(StarlingModule.PURE_PACKAGES));
        if (module.kind() == StarlingModule.Kind.LIBRARY) rules.addAll(libraryHygiene());
        rules.addAll(publicApi(StarlingModule.API_PACKAGES));
        if (module.kind() == StarlingModule.Kind.APPLICATION) rules.add(applicationSurface());
        rules.add(syncSurface());
        return rules;
    }

    // ---- the graph

    static ArchRule graph(StarlingModule module) {
        List<String> allowed = new ArrayList<>(module.packages());
        allowed.addAll(module.reachablePackages());
        PackageMatchers allowedMatchers = PackageMatchers.of(allowed);
        DescribedPredicate<JavaClass> outside = DescribedPredicate.describe(
                "are Starling classes outside " + allowed,
                c -> c.getPackageName().startsWith("io.starling") && !allowedMatchers.test(c.getPackageName()));
        return noClasses()
                .should()
                .dependOnClassesThat(outside)
                .as(module.artifactId() + " uses only its own packages and those the module graph gives it")
                .because("the graph is one-way (docs/ARCHITECTURE.md); a module reaches another only where it allows");
    }

    // ---- purity

    /** The purity rules over the classes of {@code purePackages}. */
    static List<ArchRule> purity(List<String> purePackages) {
        String[] pure = purePackages.toArray(String[]::new);
        ArchRule io = noClasses()
                .that()
                .resideInAnyPackage(pure)
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
                .orShould()
                .accessField(System.class, "out")
                .orShould()
                .accessField(System.class, "err")
                .orShould()
                .callMethod(System.class, "getenv")
                .orShould()
                .callMethod(System.class, "getenv", String.class)
                .orShould()
                .callMethod(System.class, "getProperty", String.class)
                .orShould()
                .callMethod(System.class, "getProperty", String.class, String.class)
                .as("pure code does no I/O, logs nothing and reads no environment")
                .because(
                        "merge, query and sync logic is a function of its inputs: the simulator replays it from a seed")
                .allowEmptyShould(true);
        ArchRule threads = noClasses()
                .that()
                .resideInAnyPackage(pure)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.util.concurrent..")
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Thread.class)
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName(ThreadLocal.class.getName())
                .as("pure code starts no threads and uses no concurrency utilities")
                .because("the engine owns threads; pure code is called on one thread at a time")
                .allowEmptyShould(true);
        ArchRule clockAndRandom = noClasses()
                .that()
                .resideInAnyPackage(pure)
                .should()
                .callMethod(System.class, "currentTimeMillis")
                .orShould()
                .callMethod(System.class, "nanoTime")
                .orShould()
                .callMethodWhere(JavaAccess.Predicates.target(DescribedPredicate.describe(
                        "a static now() of java.time",
                        t -> t.getName().equals("now")
                                && t.getOwner().getPackageName().startsWith("java.time"))))
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Clock.class)
                .orShould()
                .callConstructor(java.util.Date.class)
                .orShould()
                .callMethod(Math.class, "random")
                .orShould()
                .callMethod(UUID.class, "randomUUID")
                .orShould()
                .callConstructor(Random.class)
                .orShould()
                .callConstructor(SplittableRandom.class)
                .orShould()
                .callMethod(java.util.Collections.class, "shuffle", List.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(SecureRandom.class)
                .as("pure code reads no clock and uses no unseeded randomness")
                .because("the current time and every random choice come in as arguments, so a seed replays a run")
                .allowEmptyShould(true);
        return List.of(io, threads, clockAndRandom);
    }

    // ---- libraries

    static List<ArchRule> libraryHygiene() {
        ArchRule logging = noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.util.logging..", "org.apache.log4j..", "org.apache.logging.log4j..")
                .orShould()
                .accessField(System.class, "out")
                .orShould()
                .accessField(System.class, "err")
                .orShould()
                .callMethodWhere(JavaAccess.Predicates.target(DescribedPredicate.describe(
                        "Throwable.printStackTrace()",
                        t -> t.getName().equals("printStackTrace")
                                && t.getOwner().isAssignableTo(Throwable.class))))
                .as("library code logs only through SLF4J and prints nothing")
                .because("the application chooses where logs go");
        ArchRule android = noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.net.http..",
                        "sun..",
                        "com.sun..",
                        "java.awt..",
                        "javax.swing..",
                        "java.lang.management..",
                        "javax.management..")
                .as("library code uses only JDK APIs that Android has")
                .because("the library runs on Android too");
        List<String> allowed = new ArrayList<>(StarlingModule.API_PACKAGES);
        allowed.add(INTERNAL);
        ArchRule publicTypes = classes()
                .that()
                .arePublic()
                .should()
                .resideInAnyPackage(allowed.toArray(String[]::new))
                .as("public library types are the API (" + StarlingModule.API_PACKAGES + ") or internal (" + INTERNAL
                        + ")")
                .because("anything else public would be API by accident")
                .allowEmptyShould(true);
        return List.of(logging, android, publicTypes);
    }

    // ---- the public API

    /** The rules of the public API over the classes of {@code apiPackages}. */
    static List<ArchRule> publicApi(List<String> apiPackages) {
        String[] api = apiPackages.toArray(String[]::new);
        ArchRule noInternals = members()
                .that()
                .areDeclaredInClassesThat()
                .resideInAnyPackage(api)
                .and()
                .areDeclaredInClassesThat()
                .arePublic()
                .and(visibleOutside())
                .should(mentionNoInternalType())
                .as("the public API shows no internal type in a signature")
                .because("internals carry no compatibility promise")
                .allowEmptyShould(true);
        ArchRule noInternalSupertypes = classes()
                .that()
                .resideInAnyPackage(api)
                .and()
                .arePublic()
                .should(haveNoInternalSupertype())
                .as("public API types extend and implement no internal type")
                .allowEmptyShould(true);
        ArchRule closeThrowsNothing = classes()
                .that()
                .resideInAnyPackage(api)
                .and()
                .arePublic()
                .and()
                .areAssignableTo(AutoCloseable.class)
                .should(closeWithoutCheckedException())
                .as("every AutoCloseable of the public API closes without a checked exception")
                .because("a handle is closed in finally blocks and try-with-resources; close() must not throw")
                .allowEmptyShould(true);
        ArchRule noBareHandles = members()
                .that()
                .areDeclaredInClassesThat()
                .resideInAnyPackage(api)
                .and()
                .areDeclaredInClassesThat()
                .arePublic()
                .and(visibleOutside())
                .should(returnNoHandleWhoseCloseThrows())
                .as("no public API method returns a handle whose close() declares a checked exception")
                .because("AutoCloseable.close() throws Exception: return a type whose close() throws nothing")
                .allowEmptyShould(true);
        return List.of(noInternals, noInternalSupertypes, closeThrowsNothing, noBareHandles);
    }

    private static DescribedPredicate<JavaMember> visibleOutside() {
        return DescribedPredicate.describe(
                "are public or protected",
                m -> m.getModifiers().contains(JavaModifier.PUBLIC)
                        || m.getModifiers().contains(JavaModifier.PROTECTED));
    }

    private static boolean isInternal(JavaClass c) {
        return c.getPackageName().startsWith("io.starling.internal");
    }

    private static ArchCondition<JavaMember> mentionNoInternalType() {
        return new ArchCondition<>("mention no internal type") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                List<JavaClass> involved = new ArrayList<>();
                if (member instanceof JavaCodeUnit unit) {
                    involved.addAll(unit.getReturnType().getAllInvolvedRawTypes());
                    unit.getParameterTypes().forEach(t -> involved.addAll(t.getAllInvolvedRawTypes()));
                    unit.getThrowsClause().getTypes().forEach(involved::add);
                } else if (member instanceof com.tngtech.archunit.core.domain.JavaField field) {
                    involved.addAll(field.getType().getAllInvolvedRawTypes());
                }
                for (JavaClass c : involved) {
                    if (isInternal(c)) {
                        events.add(SimpleConditionEvent.violated(
                                member, member.getFullName() + " shows the internal type " + c.getName()));
                    }
                }
            }
        };
    }

    private static ArchCondition<JavaClass> haveNoInternalSupertype() {
        return new ArchCondition<>("have no internal supertype") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                Stream.concat(c.getRawSuperclass().stream(), c.getRawInterfaces().stream())
                        .filter(ArchitectureRules::isInternal)
                        .forEach(s -> events.add(SimpleConditionEvent.violated(
                                c, c.getName() + " extends or implements the internal " + s.getName())));
            }
        };
    }

    /**
     * The checked exceptions that {@code close()} of {@code type} declares, as a caller sees it: the most specific
     * {@code close()} of the type ({@code AutoCloseable}'s own throws {@code Exception}).
     */
    static List<String> closeCheckedExceptions(JavaClass type) {
        java.lang.reflect.Method close;
        try {
            close = type.reflect().getMethod("close");
        } catch (NoSuchMethodException e) {
            return List.of();
        }
        return Stream.of(close.getExceptionTypes())
                .filter(t -> !RuntimeException.class.isAssignableFrom(t) && !Error.class.isAssignableFrom(t))
                .map(Class::getName)
                .collect(Collectors.toList());
    }

    private static ArchCondition<JavaClass> closeWithoutCheckedException() {
        return new ArchCondition<>("declare close() without a checked exception") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                List<String> checked = closeCheckedExceptions(c);
                if (!checked.isEmpty()) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + ".close() throws " + checked));
                }
            }
        };
    }

    private static ArchCondition<JavaMember> returnNoHandleWhoseCloseThrows() {
        return new ArchCondition<>("return no handle whose close() throws a checked exception") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                if (!(member instanceof JavaMethod method)) return;
                JavaClass returned = method.getRawReturnType();
                if (!returned.isAssignableTo(AutoCloseable.class)) return;
                // a JDK stream is not a handle of ours: its IOException on close is the java.io contract users expect
                if (returned.isAssignableTo(java.io.InputStream.class)
                        || returned.isAssignableTo(java.io.OutputStream.class)) return;
                List<String> checked = closeCheckedExceptions(returned);
                if (!checked.isEmpty()) {
                    events.add(SimpleConditionEvent.violated(
                            method,
                            method.getFullName() + " returns " + returned.getName() + ", whose close() throws "
                                    + checked));
                }
            }
        };
    }

    // ---- small surfaces

    static ArchRule applicationSurface() {
        return classes()
                .that()
                .arePublic()
                .and()
                .areTopLevelClasses()
                .and()
                .resideOutsideOfPackage("..jmh_generated..")
                .should(beAnEntryPointOrUsedFromAnotherPackage())
                .as("a class of an application is public only if it is an entry point or used from another package")
                .because("everything else is package-private: nobody outside may call it")
                .allowEmptyShould(true);
    }

    private static ArchCondition<JavaClass> beAnEntryPointOrUsedFromAnotherPackage() {
        return new ArchCondition<>("be an entry point or be used from another package") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                boolean main = c.getMethods().stream()
                        .anyMatch(m -> m.getName().equals("main")
                                && m.getModifiers().containsAll(Set.of(JavaModifier.PUBLIC, JavaModifier.STATIC)));
                boolean usedElsewhere = c.getDirectDependenciesToSelf().stream()
                        .anyMatch(d -> !d.getOriginClass().getPackageName().equals(c.getPackageName()));
                if (!main && !usedElsewhere && !isServiceProvider(c)) {
                    events.add(SimpleConditionEvent.violated(
                            c, c.getName() + " is public, has no main and is used only in its own package"));
                }
            }
        };
    }

    /** A class named in a {@code META-INF/services} file of one of its interfaces: ServiceLoader needs it public. */
    private static boolean isServiceProvider(JavaClass c) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (JavaClass iface : c.getAllRawInterfaces()) {
            try {
                java.util.Enumeration<java.net.URL> files = loader.getResources("META-INF/services/" + iface.getName());
                while (files.hasMoreElements()) {
                    try (java.io.InputStream in = files.nextElement().openStream()) {
                        String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                        for (String line : (Iterable<String>) text.lines()::iterator) {
                            if (line.replaceAll("#.*", "").trim().equals(c.getName())) return true;
                        }
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return false;
    }

    static ArchRule syncSurface() {
        String allowed = SYNC_PUBLIC_TYPES.stream()
                .sorted()
                .map(n -> n.replace("$", "\\$"))
                .collect(Collectors.joining("|"));
        return classes()
                .that()
                .resideInAPackage("io.starling.internal.sync")
                .and()
                .arePublic()
                .should()
                .haveNameMatching("io\\.starling\\.internal\\.sync\\.(" + allowed + ")(\\$.*)?")
                .as("the sync protocol's public types are " + new java.util.TreeSet<>(SYNC_PUBLIC_TYPES))
                .because("its users need the session API, the messages, the codec and the framing; the rest is"
                        + " package-private")
                .allowEmptyShould(true);
    }
}
