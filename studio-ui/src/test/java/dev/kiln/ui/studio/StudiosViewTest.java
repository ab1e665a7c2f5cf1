package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.studio.StudioSummary;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StudiosViewTest extends ViewTest {

    @SuppressWarnings("unchecked")
    private Grid<StudioSummary> studios() {
        return $(Grid.class).id("studios");
    }

    @Test
    void listsTheStudiosWithWhoOwnsThemAndWhatTheUserMayDo() {
        kiln.catalog.add("Sums", "owner");
        kiln.catalog.add("Vision", "viewer");
        kiln.catalog.add("Text", "editor");

        open(StudiosView.class);

        var grid = test(studios());
        assertThat(grid.size()).isEqualTo(3);
        assertThat(grid.getCellText(0, 0)).isEqualTo("Sums");
        assertThat(grid.getCellText(0, 1)).isEqualTo("you");
        assertThat(grid.getCellText(1, 1)).isEqualTo("Grace Hopper · view only");
        assertThat(grid.getCellText(2, 1)).isEqualTo("Grace Hopper · you can edit");
        // Only the owner renames or deletes.
        assertThat(test(grid.getCellComponent(0, 3)).find(Button.class).withText("Delete").exists()).isTrue();
        assertThat(test(grid.getCellComponent(1, 3)).find(Button.class).withText("Delete").exists()).isFalse();
    }

    @Test
    void withoutStudiosSaysHowToStart() {
        open(StudiosView.class);

        assertThat($(Grid.class).exists()).isFalse();
        assertThat($(Paragraph.class).withTextContaining("No studios yet").single().isVisible()).isTrue();
    }

    @Test
    void creatingAStudioOpensIt() {
        open(StudiosView.class);

        click("new-studio");
        test($(TextField.class).id("prompt-field")).setValue("Sums");
        click("prompt-ok");

        assertThat(kiln.catalog.all()).extracting(StudioSummary::name).containsExactly("Sums");
        assertThat(getCurrentView()).isInstanceOf(StudioView.class);
        assertThat($(com.vaadin.flow.component.html.Span.class).id("studio-name").getText()).isEqualTo("Sums");
    }

    @Test
    void aRefusedNameIsShownUnderTheFieldAndTheDialogStays() {
        kiln.catalog.add("Sums", "owner");
        open(StudiosView.class);

        click("new-studio");
        var field = $(TextField.class).id("prompt-field");
        test(field).setValue("Sums");
        click("prompt-ok");

        assertThat(field.isInvalid()).isTrue();
        assertThat(field.getErrorMessage()).isEqualTo("You already have a studio named “Sums”.");
        assertThat(dialog().isOpened()).isTrue();
        assertThat(getCurrentView()).isInstanceOf(StudiosView.class);
    }

    @Test
    void openingARowNavigatesToTheStudio() {
        kiln.catalog.add("Sums", "owner");
        open(StudiosView.class);

        test(studios()).clickRow(0);

        assertThat(getCurrentView()).isInstanceOf(StudioView.class);
    }

    @Test
    void deletingAsksFirstThenSaysItIsDone() {
        kiln.catalog.add("Sums", "owner");
        open(StudiosView.class);

        test(test(studios()).getCellComponent(0, 3)).find(Button.class).withText("Delete").single().click();
        assertThat(kiln.catalog.all()).hasSize(1); // nothing happens before the confirmation
        click("confirm-button");

        assertThat(kiln.catalog.all()).isEmpty();
        assertThat(notifications()).containsExactly("Deleted Sums");
        assertThat($(Grid.class).exists()).isFalse();
    }

    @Test
    void renamingShowsTheNewNameInTheList() {
        kiln.catalog.add("Sums", "owner");
        open(StudiosView.class);

        test(test(studios()).getCellComponent(0, 3)).find(Button.class).withText("Rename").single().click();
        var field = $(TextField.class).id("prompt-field");
        assertThat(field.getValue()).isEqualTo("Sums");
        test(field).setValue("Sums v2");
        click("prompt-ok");

        assertThat(test(studios()).getCellText(0, 0)).isEqualTo("Sums v2");
    }

    @Test
    void theHeaderOffersUsersOnlyToAnAdministratorAndSignsOut() {
        open(StudiosView.class);
        assertThat($(com.vaadin.flow.component.html.Anchor.class).withId("users-link").exists()).isFalse();

        click("sign-out");

        assertThat(kiln.user.logouts).isEqualTo(1);
    }

    @Test
    void aStudioThatIsGoneShowsWhyInsteadOfTheEditor() {
        navigate(StudioView.class, "nope");

        assertThat($(com.vaadin.flow.component.html.Div.class).id("studio-not-found").getElement().getTextRecursively())
                .contains("Studio not available", "Studio not found, or you have no access to it.");
    }
}
