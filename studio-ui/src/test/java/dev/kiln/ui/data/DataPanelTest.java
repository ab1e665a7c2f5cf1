package dev.kiln.ui.data;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.data.StudioData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The data tab: adding an S3 connection (and its refusals), testing it, what a viewer may do. */
class DataPanelTest extends ViewTest {

    private void show(boolean canEdit) {
        UI.getCurrent().add(new DataPanel("s1", kiln.data, canEdit));
    }

    private void addS3(String name, String bucket, String secret) {
        click("data-add");
        test($(TextField.class).id("conn-name")).setValue(name);
        test($(TextField.class).id("conn-bucket")).setValue(bucket);
        test($(TextField.class).id("conn-key")).setValue("AKIA123");
        test($(PasswordField.class).id("conn-secret")).setValue(secret);
        click("conn-save");
    }

    @Test
    void aNewConnectionIsSelectedAndItsBucketBrowsed() {
        kiln.data.objects.add(new StudioData.Entry("sums.csv", false, 2048, "2026-12-01"));
        show(true);
        assertThat($(Span.class).id("data-location").getText()).isEqualTo("Add an S3 connection to browse its data.");

        addS3("training data", "kiln-data", "right-secret");

        assertThat(anyDialogOpen()).isFalse();
        @SuppressWarnings("unchecked")
        Select<StudioData.Connection> connection = $(Select.class).id("data-connection");
        assertThat(connection.getValue().name()).isEqualTo("training data");
        assertThat(connection.getItemLabelGenerator().apply(connection.getValue())).isEqualTo("training data · s3://kiln-data");
        assertThat($(Span.class).id("data-location").getText()).isEqualTo("s3://kiln-data/");
        assertThat(test($(com.vaadin.flow.component.grid.Grid.class).id("data-objects")).size()).isEqualTo(1);
    }

    @Test
    void aRefusedConnectionIsExplainedInTheDialogWhichStaysOpen() {
        show(true);

        addS3("training data", "", "right-secret");

        var error = $(Paragraph.class).id("conn-error");
        assertThat(error.getText()).isEqualTo("Name the bucket to connect to.");
        assertThat(dialog().getId()).hasValue("conn-dialog");
        assertThat($(TextField.class).id("conn-name").getValue()).isEqualTo("training data");
        assertThat(kiln.data.connections("s1")).isEmpty();
    }

    @Test
    void aBlankNameIsRefused() {
        show(true);

        addS3(" ", "kiln-data", "right-secret");

        assertThat($(Paragraph.class).id("conn-error").getText()).isEqualTo("Give the connection a name.");
    }

    @Test
    void wrongCredentialsAreReportedByTest() {
        show(true);
        addS3("training data", "kiln-data", "wrong-secret");

        click("data-test");

        var verdict = $(Span.class).id("data-verdict");
        assertThat(verdict.getText()).isEqualTo(
                "The bucket refused the credentials (SignatureDoesNotMatch): check the access key id and secret.");
        assertThat(verdict.getElement().getAttribute("data-kind")).isEqualTo("error");
    }

    @Test
    void rightCredentialsConnect() {
        show(true);
        addS3("training data", "kiln-data", "right-secret");

        click("data-test");

        assertThat($(Span.class).id("data-verdict").getText()).startsWith("Connected");
        assertThat($(Span.class).id("data-verdict").getElement().getAttribute("data-kind")).isEqualTo("ok");
    }

    @Test
    void aViewerBrowsesButCannotAddEditOrDelete() {
        kiln.data.create("s1", new StudioData.NewConnection("training data", "s3", java.util.Map.of("bucket", "kiln-data"),
                java.util.Map.of(), false));
        kiln.data.owner = false;
        show(false);

        assertThat($(Span.class).id("data-location").getText()).isEqualTo("s3://kiln-data/");
        for (String id : List.of("data-add", "data-add-sql", "data-edit", "data-delete")) {
            assertThat($(com.vaadin.flow.component.button.Button.class).withId(id).exists()).as(id).isFalse();
        }
        assertThat($(com.vaadin.flow.component.checkbox.Checkbox.class).id("data-for-jobs").isReadOnly()).isTrue();
    }

    @Test
    void aDatabaseConnectionOpensTheSqlEditorAndShowsTheRows() {
        show(true);

        click("data-add-sql");
        test($(TextField.class).id("db-name")).setValue("warehouse");
        test($(TextField.class).id("db-account")).setValue("xy12345.eu-central-1");
        test($(TextField.class).id("db-user")).setValue("kiln");
        test($(PasswordField.class).id("db-password")).setValue("right-secret");
        click("db-save");

        assertThat($(com.vaadin.flow.component.grid.Grid.class).withId("data-objects").exists()).isFalse();
        test($(com.vaadin.flow.component.textfield.TextArea.class).id("sql-text")).setValue("select 1 as n");
        click("sql-run");
        assertThat($(Span.class).id("sql-status").getText()).isEqualTo("Rows 1-1 of 1");
        var results = test($(com.vaadin.flow.component.grid.Grid.class).id("sql-results"));
        assertThat(results.getHeaderCell(0)).isEqualTo("n");
        assertThat(results.getCellText(0, 0)).isEqualTo("1");
    }

    @Test
    void aDatabaseWithoutANameIsRefusedInItsDialog() {
        show(true);

        click("data-add-sql");
        click("db-save");

        assertThat($(Paragraph.class).id("db-error").getText()).isEqualTo("Give the connection a name.");
        assertThat(dialog().getId()).hasValue("db-dialog");
    }

    @Test
    void deletingTheLastConnectionAsksFirstAndEmptiesTheBrowser() {
        kiln.data.objects.add(new StudioData.Entry("sums.csv", false, 2048, "2026-12-01"));
        show(true);
        addS3("training data", "kiln-data", "right-secret");
        assertThat(test($(com.vaadin.flow.component.grid.Grid.class).id("data-objects")).size()).isEqualTo(1);

        // The browser only hears of new rows when the grid gets new items or its provider says it changed.
        var grid = $(com.vaadin.flow.component.grid.Grid.class).id("data-objects");
        var before = grid.getDataProvider();
        var refreshed = new java.util.concurrent.atomic.AtomicBoolean();
        before.addDataProviderListener(e -> refreshed.set(true));

        click("data-delete");
        assertThat(dialog().getHeaderTitle()).isEqualTo("Delete the connection 'training data'?");
        click("confirm-button");

        assertThat(grid.getDataProvider() != before || refreshed.get())
                .as("the browser is told the deleted connection's objects are gone").isTrue();

        assertThat($(Span.class).id("data-verdict").getText()).isEqualTo("Deleted 'training data'.");
        assertThat($(Span.class).id("data-location").getText()).isEqualTo("Add an S3 connection to browse its data.");
        assertThat(test($(com.vaadin.flow.component.grid.Grid.class).id("data-objects")).size()).isZero();
        assertThat($(com.vaadin.flow.component.checkbox.Checkbox.class).withId("data-for-jobs").exists()).isFalse();
    }
}
