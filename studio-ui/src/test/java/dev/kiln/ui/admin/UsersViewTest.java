package dev.kiln.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.security.UserDirectory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The administrator's Users page: add, refusals under the field they are about, disable, delete. */
class UsersViewTest extends ViewTest {

    @BeforeEach
    void admin() {
        kiln.user.admin = true;
        kiln.users.create("grace", "Grace Hopper", "long enough", false);
        kiln.users.studios.put("grace", List.of("Compilers"));
    }

    @SuppressWarnings("unchecked")
    private Grid<UserDirectory.UserSummary> grid() {
        return $(Grid.class).id("users");
    }

    /** A button in a user's row (the grid renders them per row, outside the page's component tree). */
    private Button action(int row, String text) {
        return test(test(grid()).getCellComponent(row, 4)).find(Button.class).withText(text).single();
    }

    @Test
    void listsTheAccountsAndNoActionsOnTheAdminsOwn() {
        navigate(UsersView.class);

        var grid = test(grid());
        assertThat(grid.size()).isEqualTo(2);
        assertThat(grid.getCellText(0, 0)).isEqualTo("ada");
        assertThat(grid.getCellText(0, 2)).isEqualTo("administrator");
        assertThat(action(0, "Delete").isEnabled()).isFalse();
        assertThat(action(1, "Delete").isEnabled()).isTrue();
        assertThat($(com.vaadin.flow.component.html.Anchor.class).id("users-link").getText()).isEqualTo("Users");
    }

    @Test
    void addingAUserShowsThemAndSaysSo() {
        navigate(UsersView.class);

        click("add-user");
        test($(TextField.class).id("new-username")).setValue("alan");
        test($(PasswordField.class).id("new-password")).setValue("enigma-1912");
        click("create-user");

        assertThat(test(grid()).size()).isEqualTo(3);
        assertThat(kiln.users.get("alan").displayName()).isEqualTo("alan"); // no name given: the user name
        assertThat(notifications()).containsExactly("Added alan");
    }

    @Test
    void aShortPasswordIsRefusedUnderThePasswordField() {
        navigate(UsersView.class);

        click("add-user");
        test($(TextField.class).id("new-username")).setValue("alan");
        test($(PasswordField.class).id("new-password")).setValue("short");
        click("create-user");

        var password = $(PasswordField.class).id("new-password");
        assertThat(password.isInvalid()).isTrue();
        assertThat(password.getErrorMessage()).isEqualTo("The password needs at least 8 characters.");
        assertThat($(TextField.class).id("new-username").isInvalid()).isFalse();
        assertThat(dialog().isOpened()).isTrue();
    }

    @Test
    void aTakenNameIsRefusedUnderTheUserNameField() {
        navigate(UsersView.class);

        click("add-user");
        test($(TextField.class).id("new-username")).setValue("grace");
        test($(PasswordField.class).id("new-password")).setValue("long enough");
        click("create-user");

        var username = $(TextField.class).id("new-username");
        assertThat(username.isInvalid()).isTrue();
        assertThat(username.getErrorMessage()).isEqualTo("The user name grace is taken.");
    }

    @Test
    void disablingAsksFirstAndShowsTheNewState() {
        navigate(UsersView.class);

        test(action(1, "Disable")).click();
        click("confirm-button");

        assertThat(kiln.users.get("grace").disabled()).isTrue();
        assertThat(test(grid()).getCellText(1, 2)).isEqualTo("disabled");
        assertThat(action(1, "Enable").isEnabled()).isTrue();
        assertThat(notifications()).containsExactly("grace is disabled.");
    }

    @Test
    void deletingNamesTheStudiosThatGoToTheTrash() {
        navigate(UsersView.class);

        test(action(1, "Delete")).click();

        assertThat($(Paragraph.class).withTextContaining("The studio they own (Compilers) moves to the trash").exists())
                .isTrue();
        click("confirm-button");
        assertThat(test(grid()).size()).isEqualTo(1);
    }

    @Test
    void resettingAPasswordSaysTheirSessionsEnded() {
        navigate(UsersView.class);

        test(action(1, "Reset password")).click();
        var field = $(PasswordField.class).id("reset-password-field");
        test(field).setValue("short");
        click("reset-password-ok");
        assertThat(field.getErrorMessage()).isEqualTo("The password needs at least 8 characters.");
        assertThat(kiln.users.passwordResets).isEmpty();

        test(field).setValue("a new long one");
        click("reset-password-ok");
        assertThat(kiln.users.passwordResets).containsExactly("grace");
        assertThat(notifications()).containsExactly("New password set for grace; their sessions ended.");
    }
}
