package dev.kiln.server;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the module edges of the design honest (see README, "Architecture"). The classes come from this module's test
 * classpath, which holds the main classes of every module (studio-api, studio-ui, collab, machine-manager, the
 * training runtime through machine-runtime), so each rule checks real classes: none may pass on nothing.
 * <p>
 * Run alone: {@code ./kiln -q -pl studio-server -am verify -Dtest=ArchitectureTest -Dsurefire.failIfNoSpecifiedTests=false
 * -DskipITs} (-am builds the other modules from this checkout; {@code test} instead of {@code verify} skips packaging).
 */
class ArchitectureTest {

    /**
     * The server's Vaadin wiring: the Spring integration (@EnableVaadin, the error handler), the sign-in view in the
     * security chain, the signed-in user from Vaadin's authentication context, and the two places that send people
     * to the login view with a message.
     */
    private static final Set<String> SERVER_VAADIN_WIRING = Set.of(
            "dev.kiln.server.config.KilnConfiguration",
            "dev.kiln.server.security.SecurityConfiguration",
            "dev.kiln.server.security.SpringCurrentUser",
            "dev.kiln.server.security.SignInFailures",
            "dev.kiln.server.security.EndedSessionNotice");

    /**
     * Where the server holds fabric8 types outside machine-manager's Kubernetes package: the one client bean and the
     * beans built from it. (The Indexed-Job backend, {@code ClusterJobs}, reaches the cluster through machine-manager's
     * {@code IndexedJobs}.)
     */
    private static final Set<String> SERVER_KUBERNETES_WIRING = Set.of(
            "dev.kiln.server.machine.MachineConfiguration",
            "dev.kiln.server.job.JobsOnKubernetes");

    static JavaClasses kiln;

    @BeforeAll
    static void importKiln() {
        // Test classes neither from this reactor's test-classes folders nor from test jars (the training runtime's,
        // a test dependency here, is a jar when the build does not include that module).
        kiln = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.kiln");
    }

    @Test
    void everyModuleIsImported() {
        // The rules below say "no class of X ...": make sure X is there to be checked.
        for (String module : new String[] {"api", "ui", "server", "collab", "machine", "training"}) {
            String root = "dev.kiln." + module;
            assertThat(kiln.stream().filter(c -> c.getPackageName().equals(root) || c.getPackageName().startsWith(root + "."))
                    .count())
                    .as("classes of dev.kiln.%s on studio-server's test classpath", module).isGreaterThan(5);
        }
    }

    @Test
    void noCyclesBetweenPackages() {
        // One slice per package of a module (api.studio, ui.job, server.machine, machine.plan, ...): a package may use
        // another, never the other way round as well, within a module or across modules.
        slices().matching("dev.kiln.(*).(*)..").namingSlices("$1.$2").should().beFreeOfCycles().check(kiln);
    }

    @Test
    void theContractsAreFreeOfEveryFramework() {
        classes().that().resideInAPackage("dev.kiln.api..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("dev.kiln.api..", "java..")
                .check(kiln);
    }

    @Test
    void viewsDependOnTheContractsNotOnTheServerOrSpring() {
        noClasses().that().resideInAPackage("dev.kiln.ui..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kiln.server..", "dev.kiln.machine..",
                        "org.springframework..", "org.eclipse.jgit..", "io.fabric8..")
                .check(kiln);
    }

    @Test
    void theServerReachesTheViewsOnlyToWireThem() {
        noClasses().that().resideInAPackage("dev.kiln.server..").and(not(named(SERVER_VAADIN_WIRING)))
                .should().dependOnClassesThat().resideInAPackage("dev.kiln.ui..")
                .check(kiln);
    }

    @Test
    void plainJavaModulesStayFreeOfSpringAndVaadin() {
        noClasses().that().resideInAnyPackage("dev.kiln.machine..", "dev.kiln.collab..", "dev.kiln.training..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "com.vaadin..",
                        "dev.kiln.server..", "dev.kiln.ui..", "dev.kiln.api..")
                .check(kiln);
    }

    @Test
    void springOnlyInTheServer() {
        noClasses().that().resideOutsideOfPackage("dev.kiln.server..")
                .should().dependOnClassesThat().resideInAPackage("org.springframework..")
                .check(kiln);
    }

    @Test
    void vaadinOnlyInTheViewsAndTheServersVaadinWiring() {
        noClasses().that().resideOutsideOfPackage("dev.kiln.ui..").and(not(named(SERVER_VAADIN_WIRING)))
                .should().dependOnClassesThat().resideInAPackage("com.vaadin..")
                .check(kiln);
    }

    @Test
    void fabric8OnlyInMachineManagersKubernetesPackage() {
        noClasses().that().resideOutsideOfPackage("dev.kiln.machine.kubernetes..").and(not(named(SERVER_KUBERNETES_WIRING)))
                .should().dependOnClassesThat().resideInAPackage("io.fabric8..")
                .check(kiln);
    }

    @Test
    void theWorkspaceKnowsNothingOfStudiosOrUsers() {
        noClasses().that().resideInAPackage("dev.kiln.server.workspace..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kiln.server.studio..", "dev.kiln.server.security..", "org.springframework..")
                .check(kiln);
    }

    /** The named classes and their nested ones (lambdas and inner classes compile to {@code Name$...}). */
    private static DescribedPredicate<JavaClass> named(Set<String> names) {
        return DescribedPredicate.describe("one of " + names.stream().sorted().toList(),
                c -> names.contains(c.getName()) || names.stream().anyMatch(n -> c.getName().startsWith(n + "$")));
    }
}
