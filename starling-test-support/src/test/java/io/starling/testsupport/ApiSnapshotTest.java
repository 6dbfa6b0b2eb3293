package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.starling.testsupport.fixture.api.ApiFixtures;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiSnapshotTest {
    @TempDir
    Path dir;

    private static final String PACKAGE = "io.starling.testsupport.fixture.api";

    private static String describeFixtures() {
        return ApiSnapshot.describe(new ClassFileImporter().importPackages(PACKAGE), Set.of(PACKAGE));
    }

    @Test
    void describesPublicTypesAndTheirPublicMembersWithGenericSignatures() {
        String api = describeFixtures();
        assertThat(api)
                .contains("public final class io.starling.testsupport.fixture.api.ApiFixtures\n")
                .contains("public static interface io.starling.testsupport.fixture.api.ApiFixtures$GoodHandle"
                        + " extends java.lang.AutoCloseable\n  void close()\n")
                .contains("  public java.util.List<io.starling.internal.query.fixture.QueryThing> leak()\n")
                .doesNotContain("hidden()")
                .doesNotContain("private");
        assertThat(describeFixtures()).as("the same every time").isEqualTo(api);
    }

    @Test
    void aDifferenceShowsWhatChangedUnderItsTypeAndHowToAcceptIt() {
        String before = "public class a.A\n  public void f()\n  public void g()\npublic class a.B\n";
        String after = "public class a.A\n  public void f()\n  public void h()\npublic class a.B\npublic class a.C\n";
        assertThat(ApiSnapshot.diff(before, after))
                .isEqualTo("  public class a.A\n-   public void g()\n+   public void h()\n+ public class a.C\n");

        String accept = ApiSnapshot.acceptCommand(StarlingModule.TEST_SUPPORT, ApiSnapshotTest.class);
        assertThat(accept)
                .isEqualTo("mvn -B -q -pl starling-test-support -am verify -Dtest=ApiSnapshotTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false -Dstarling.api.accept=true");
        Path file = dir.resolve("api/x.api");
        assertThatThrownBy(() -> ApiSnapshot.compare(file, after, "x", accept, false))
                .hasMessageContaining("The public API of x has no snapshot yet")
                .hasMessageContaining(accept);
        ApiSnapshot.compare(file, before, "x", accept, true); // accepting writes it
        ApiSnapshot.compare(file, before, "x", accept, false); // and then it matches
        assertThatThrownBy(() -> ApiSnapshot.compare(file, after, "x", accept, false))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("The public API of x differs from its snapshot")
                .hasMessageContaining("-   public void g()\n+   public void h()\n")
                .hasMessageContaining(
                        "If the change is meant, accept it and commit the snapshot with it:\n  " + accept);
    }

    @Test
    void aPackageWithoutPublicTypesIsAMistake() {
        // the fixtures are test classes: the main classes of this module hold none of them
        assertThatThrownBy(() -> ApiSnapshot.check(StarlingModule.TEST_SUPPORT, ApiSnapshotTest.class, PACKAGE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no public type in [" + PACKAGE + "]");
    }

    @Test
    void theFixturesAreWhatTheRulesTestsUse() {
        assertThat(ApiFixtures.class.getPackageName()).isEqualTo(PACKAGE);
    }
}
