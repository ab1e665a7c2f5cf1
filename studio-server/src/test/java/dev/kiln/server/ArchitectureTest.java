package dev.kiln.server;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Keeps the module edges of the design honest (see README, "Architecture"). */
class ArchitectureTest {

    static JavaClasses kiln;

    @BeforeAll
    static void importKiln() {
        kiln = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.kiln");
    }

    @Test
    void viewsDependOnTheirOwnInterfacesNotOnTheServerOrSpring() {
        noClasses().that().resideInAPackage("dev.kiln.ui..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kiln.server..", "org.springframework..", "org.eclipse.jgit..")
                .check(kiln);
    }

    @Test
    void plainJavaModulesStayFreeOfSpringAndVaadin() {
        noClasses().that().resideInAnyPackage("dev.kiln.machine..", "dev.kiln.collab..", "dev.kiln.training..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "com.vaadin..", "dev.kiln.server..", "dev.kiln.ui..")
                .allowEmptyShould(true)
                .check(kiln);
    }

    @Test
    void theWorkspaceKnowsNothingOfStudiosOrUsers() {
        noClasses().that().resideInAPackage("dev.kiln.server.workspace..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kiln.server.studio..", "dev.kiln.server.security..", "org.springframework..")
                .check(kiln);
    }
}
