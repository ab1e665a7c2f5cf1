package dev.kiln.ui.data;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.api.data.ConnectionKind;
import dev.kiln.api.data.StudioData;
import dev.kiln.api.studio.StudioException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The studio's data: its S3 connections (add, edit, test, delete), a bucket browser a page at a time, and a preview of an
 * object's first bytes (CSV as a table). Everything goes through the server, which holds the credentials. The owner
 * chooses, per connection, whether the studio's jobs receive it ("Jobs receive it").
 */
public class DataPanel extends Div {
    private final String studioId;
    private final StudioData data;
    private final Select<StudioData.Connection> connection = new Select<>();
    private final Span verdict = new Span();
    private final Span location = new Span();
    private final Grid<StudioData.Entry> objects = new Grid<>();
    private final Button more = new Button("Load more");
    private final Div preview = new Div();
    private final List<StudioData.Entry> shown = new ArrayList<>();
    private final Div transfers = new Div();
    private final boolean canEdit;
    private com.vaadin.flow.shared.Registration polling;
    private String prefix = "";
    private Div browserBody;
    private final Div sqlPane = new Div();
    private final com.vaadin.flow.component.textfield.TextArea sqlText = new com.vaadin.flow.component.textfield.TextArea();
    private final Span sqlStatus = new Span();
    private final Grid<List<String>> sqlResults = new Grid<>();
    private final Button sqlNext = new Button("Next page");
    private final Button sqlPrevious = new Button("Previous page");
    private final Button sqlCancel = new Button("Cancel");
    private final Button sqlExport = new Button("Export…", VaadinIcon.DOWNLOAD.create());
    private final Checkbox forJobs = new Checkbox("Jobs receive it");
    /** This panel's SQL editor: a new query here closes this person's previous one (and its open cursor). */
    private final String editorId = java.util.UUID.randomUUID().toString();
    private final boolean mayChooseForJobs;
    private StudioData.QueryResult query;
    private String nextToken;

    public DataPanel(String studioId, StudioData data, boolean canEdit) {
        this.studioId = studioId;
        this.data = data;
        this.canEdit = canEdit;
        this.mayChooseForJobs = data.mayChooseForJobs(studioId);
        addClassName("kiln-data");
        setId("data-panel");

        connection.setId("data-connection");
        connection.setPlaceholder("No connection yet");
        connection.setItemLabelGenerator(c -> c.name() + (ConnectionKind.S3.is(c.kind()) ? " · s3://"
                + c.settings().getOrDefault("bucket", "") : " · " + ConnectionKind.label(c.kind())));
        connection.addValueChangeListener(e -> {
            verdict.setText("");
            showForJobs(e.getValue());
            prefix = "";
            boolean sql = e.getValue() != null && !ConnectionKind.S3.is(e.getValue().kind());
            browserBody.setVisible(!sql);
            sqlPane.setVisible(sql);
            if (!sql) {
                browse();
            }
        });
        var add = new Button("Add S3", VaadinIcon.PLUS.create(), e -> new AddS3Dialog(null).open());
        add.setId("data-add");
        add.addThemeVariants(ButtonVariant.LUMO_SMALL);
        add.setVisible(canEdit);
        var addSql = new Button("Add database", VaadinIcon.DATABASE.create(), e -> new AddDatabaseDialog(null).open());
        addSql.setId("data-add-sql");
        addSql.addThemeVariants(ButtonVariant.LUMO_SMALL);
        addSql.setVisible(canEdit);
        var test = new Button("Test", e -> {
            if (connection.getValue() != null) {
                try {
                    verdict.setText(data.test(studioId, connection.getValue().id()));
                    verdict.getElement().setAttribute("data-kind", "ok");
                } catch (RuntimeException refused) {
                    verdict.setText(refused.getMessage());
                    verdict.getElement().setAttribute("data-kind", "error");
                }
            }
        });
        test.setId("data-test");
        test.addThemeVariants(ButtonVariant.LUMO_SMALL);
        verdict.setId("data-verdict");
        forJobs.setId("data-for-jobs");
        forJobs.setTooltipText("Jobs of this studio get this connection's credentials (short-lived ones where AWS "
                + "gives them) while they run. Only the studio's owner chooses.");
        forJobs.setReadOnly(!mayChooseForJobs);
        forJobs.setVisible(false);
        forJobs.addValueChangeListener(e -> {
            var current = connection.getValue();
            if (!e.isFromClient() || current == null || current.forJobs() == e.getValue()) {
                return;
            }
            try {
                var changed = data.shareWithJobs(studioId, current.id(), e.getValue());
                reload(changed.id());
                verdict.setText(changed.forJobs() ? "Jobs now receive '" + changed.name() + "'."
                        : "Jobs no longer receive '" + changed.name() + "'.");
                verdict.getElement().setAttribute("data-kind", "ok");
            } catch (RuntimeException refused) {
                forJobs.setValue(current.forJobs());
                verdict.setText(refused.getMessage());
                verdict.getElement().setAttribute("data-kind", "error");
            }
        });
        var edit = new Button("Edit", VaadinIcon.EDIT.create(), e -> {
            var current = connection.getValue();
            if (current != null) {
                (ConnectionKind.S3.is(current.kind()) ? new AddS3Dialog(current) : new AddDatabaseDialog(current)).open();
            }
        });
        edit.setId("data-edit");
        edit.addThemeVariants(ButtonVariant.LUMO_SMALL);
        edit.setTooltipText("Fix the endpoint or settings, rename, or rotate the secret");
        edit.setVisible(canEdit);
        var remove = new Button("Delete", VaadinIcon.TRASH.create(), e -> {
            var current = connection.getValue();
            if (current != null) {
                dev.kiln.ui.component.Dialogs.confirm("Delete the connection '" + current.name() + "'?",
                        "Its settings and stored secret are deleted; jobs started later do not receive it. The data "
                                + "in " + (ConnectionKind.S3.is(current.kind()) ? "the bucket" : "the database")
                                + " is not touched.", "Delete", true, () -> {
                            try {
                                data.delete(studioId, current.id());
                                reload(null);
                                verdict.setText("Deleted '" + current.name() + "'.");
                                verdict.getElement().setAttribute("data-kind", "ok");
                            } catch (RuntimeException refused) {
                                verdict.setText(refused.getMessage());
                                verdict.getElement().setAttribute("data-kind", "error");
                            }
                        });
            }
        });
        remove.setId("data-delete");
        remove.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR, ButtonVariant.LUMO_TERTIARY);
        remove.setVisible(canEdit);
        var bar = new Div(connection, test, edit, remove, add, addSql, forJobs, verdict);
        bar.addClassName("kiln-data-bar");

        location.setId("data-location");
        location.addClassName("kiln-muted");
        objects.setId("data-objects");
        objects.addThemeVariants(GridVariant.LUMO_COMPACT);
        objects.addComponentColumn(e -> {
            var label = new Span(name(e.key()));
            if (e.folder()) {
                var icon = VaadinIcon.FOLDER_O.create();
                icon.setSize("14px");
                label.addComponentAsFirst(icon);
            }
            return label;
        }).setHeader("Name").setFlexGrow(3);
        objects.addColumn(e -> e.folder() ? "" : size(e.size())).setHeader("Size").setFlexGrow(1);
        objects.addItemClickListener(e -> open(e.getItem()));
        more.setId("data-more");
        more.addThemeVariants(ButtonVariant.LUMO_SMALL);
        more.addClickListener(e -> page(nextToken));
        var up = new Button("Up", VaadinIcon.ARROW_UP.create(), e -> {
            String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            prefix = trimmed.contains("/") ? trimmed.substring(0, trimmed.lastIndexOf('/') + 1) : "";
            browse();
        });
        up.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
        var browser = new Div(new Div(up, location), objects, more);
        browser.addClassName("kiln-data-browser");
        preview.setId("data-preview");
        preview.addClassName("kiln-data-preview");
        browserBody = new Div(browser, preview);
        browserBody.addClassName("kiln-data-body");
        var body = new Div(browserBody, sqlPane());
        body.addClassName("kiln-data-stack");
        transfers.setId("data-transfers");
        transfers.addClassName("kiln-data-transfers");
        add(bar, transfers, body);
        reload(null);
    }

    /** A SQL editor for database connections: run, page through results, cancel, export all rows to the machine. */
    private Div sqlPane() {
        sqlText.setId("sql-text");
        sqlText.setPlaceholder("select * from sales limit 1000");
        sqlText.setWidthFull();
        sqlText.addClassName("kiln-sql-text");
        Runnable runQuery = () -> {
            try {
                show(data.runQuery(studioId, connection.getValue().id(), sqlText.getValue(), editorId));
            } catch (RuntimeException refused) {
                sqlStatus.setText(refused.getMessage());
            }
        };
        var run = new Button("Run", VaadinIcon.PLAY.create(), e -> runQuery.run());
        run.setTooltipText("Run the query (Ctrl+Enter)");
        // Ctrl+Enter (Cmd+Enter on a Mac) in the text runs it, as in every SQL editor. The text comes with the key:
        // the field sends its value only when it loses focus, after the key would have run the old one.
        sqlText.getElement().addEventListener("keydown", e -> {
            sqlText.setValue(e.getEventData().get("element.value").asString());
            runQuery.run();
        }).addEventData("element.value").setFilter("event.key === 'Enter' && (event.ctrlKey || event.metaKey)");
        run.setId("sql-run");
        run.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_SMALL);
        sqlCancel.setId("sql-cancel");
        sqlCancel.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
        sqlCancel.addClickListener(e -> show(data.cancelQuery(studioId, query.id())));
        sqlNext.setId("sql-next");
        sqlNext.addThemeVariants(ButtonVariant.LUMO_SMALL);
        sqlNext.addClickListener(e -> show(data.query(studioId, query.id(), true)));
        sqlPrevious.setId("sql-previous");
        sqlPrevious.addThemeVariants(ButtonVariant.LUMO_SMALL);
        sqlPrevious.addClickListener(e -> show(data.previousPage(studioId, query.id())));
        sqlExport.setId("sql-export");
        sqlExport.addThemeVariants(ButtonVariant.LUMO_SMALL);
        sqlExport.addClickListener(e -> new ExportDialog(query.id()).open());
        sqlStatus.setId("sql-status");
        sqlResults.setId("sql-results");
        sqlResults.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_COLUMN_BORDERS);
        var actions = new Div(run, sqlCancel, sqlPrevious, sqlNext, sqlExport, sqlStatus);
        actions.addClassName("kiln-data-bar");
        sqlPane.add(sqlText, actions, sqlResults);
        sqlPane.addClassName("kiln-sql");
        sqlPane.setVisible(false);
        show(null);
        return sqlPane;
    }

    private void show(StudioData.QueryResult result) {
        boolean columnsChanged = result != null && (query == null || !query.id().equals(result.id())
                || !query.columns().equals(result.columns()));
        query = result;
        sqlCancel.setVisible(result != null && result.status().equals("RUNNING"));
        sqlNext.setVisible(result != null && result.status().equals("READY") && result.more());
        sqlPrevious.setVisible(result != null && result.status().equals("READY") && result.page() > 0);
        sqlExport.setVisible(result != null && result.status().equals("READY") && canEdit);
        if (result == null) {
            sqlStatus.setText("");
            return;
        }
        sqlStatus.getElement().setAttribute("data-status", result.status());
        sqlStatus.setText(switch (result.status()) {
            case "RUNNING" -> "Running…";
            case "READY" -> result.rows().isEmpty() ? "No rows" : "Rows " + String.format(java.util.Locale.ROOT, "%,d-%,d",
                    result.page() * 100 + 1, result.page() * 100 + result.rows().size())
                    + (result.total() >= 0 ? String.format(java.util.Locale.ROOT, " of %,d", result.total())
                    : result.more() ? ", more follow" : ", the end");
            default -> result.error();
        });
        if (columnsChanged) {
            sqlResults.removeAllColumns();
            for (int i = 0; i < result.columns().size(); i++) {
                int column = i;
                sqlResults.addColumn(row -> column < row.size() ? row.get(column) : "")
                        .setHeader(result.columns().get(i)).setAutoWidth(true);
            }
        }
        sqlResults.setItems(result.rows());
    }

    /** Downloads to the machine with their progress, refreshed on the UI's poll while any runs. */
    private void showTransfers() {
        transfers.removeAll();
        for (var t : data.transfers(studioId)) {
            var line = new Div();
            line.getElement().setAttribute("data-status", t.status());
            boolean toS3 = t.target().startsWith("s3://");
            var label = new Span(name(t.key()) + " → " + (toS3 ? "" : "~/") + t.target() + ": " + switch (t.status()) {
                case "DONE" -> (toS3 ? "exported (" : "downloaded (") + size(t.bytes()) + ")";
                case "FAILED" -> "failed: " + t.error();
                default -> size(t.bytes()) + (t.total() > 0 ? " of " + size(t.total()) : "");
            });
            line.add(label);
            if (t.status().equals("RUNNING") && t.total() > 0) {
                var bar = new com.vaadin.flow.component.progressbar.ProgressBar(0, t.total(), t.bytes());
                bar.setWidth("200px");
                line.add(bar);
            }
            transfers.add(line);
        }
    }

    @Override
    protected void onAttach(com.vaadin.flow.component.AttachEvent event) {
        showTransfers();
        polling = event.getUI().addPollListener(e -> {
            if (query != null && query.status().equals("RUNNING")) {
                show(data.query(studioId, query.id(), false));
            }
            if (data.transfers(studioId).stream().anyMatch(t -> t.status().equals("RUNNING"))
                    || transfers.getChildren().anyMatch(c -> "RUNNING".equals(c.getElement().getAttribute("data-status")))) {
                showTransfers();
            }
        });
    }

    @Override
    protected void onDetach(com.vaadin.flow.component.DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
    }

    private void showForJobs(StudioData.Connection current) {
        forJobs.setVisible(current != null);
        if (current != null) {
            forJobs.setValue(current.forJobs());
        }
    }

    private void reload(String select) {
        List<StudioData.Connection> all = data.connections(studioId);
        connection.setItems(all);
        all.stream().filter(c -> c.id().equals(select)).findFirst().or(() -> all.stream().findFirst())
                .ifPresent(c -> {
                    connection.setValue(c);
                    showForJobs(c);
                });
        if (all.isEmpty()) {
            connection.clear();
            forJobs.setVisible(false);
            location.setText("Add an S3 connection to browse its data.");
        }
    }

    private void browse() {
        shown.clear();
        preview.removeAll();
        page(null);
    }

    private void page(String token) {
        if (connection.getValue() == null) {
            // The last connection was deleted: its objects go too (a stale row would be clicked with no connection).
            objects.setItems(shown);
            more.setVisible(false);
            return;
        }
        var c = connection.getValue();
        location.setText("s3://" + c.settings().getOrDefault("bucket", "") + "/" + prefix);
        try {
            var page = data.list(studioId, c.id(), prefix, token, 100);
            shown.addAll(page.entries());
            nextToken = page.nextToken();
        } catch (RuntimeException e) {
            nextToken = null;
            location.setText(e.getMessage());
        }
        objects.setItems(shown);
        more.setVisible(nextToken != null);
    }

    private void open(StudioData.Entry entry) {
        if (entry.folder()) {
            prefix = entry.key();
            browse();
            return;
        }
        preview.removeAll();
        StudioData.Preview p;
        try {
            p = data.preview(studioId, connection.getValue().id(), entry.key());
        } catch (RuntimeException e) {
            var error = new Paragraph(e.getMessage());
            error.addClassName("kiln-error");
            preview.add(error);
            return;
        }
        boolean parquet = "parquet".equals(p.kind());
        var title = new Span(name(p.key()) + " · " + size(p.size()) + (!p.truncated() ? "" : parquet
                ? " · first " + (p.rows().size() - 1) + " rows shown" : " · first " + size(64 * 1024) + " shown"));
        title.addClassName("kiln-muted");
        // The location a job reads it from, selectable for pasting into a job's arguments.
        var uri = new Span("s3://" + connection.getValue().settings().getOrDefault("bucket", "") + "/" + p.key());
        uri.setId("data-uri");
        uri.addClassName("kiln-data-uri");
        var download = new Button("Download to machine", VaadinIcon.DOWNLOAD.create(), e -> {
            try {
                data.download(studioId, connection.getValue().id(), entry.key());
            } catch (RuntimeException refused) {
                verdict.setText(refused.getMessage());
                verdict.getElement().setAttribute("data-kind", "error");
            }
            showTransfers();
        });
        download.setId("data-download");
        download.addThemeVariants(ButtonVariant.LUMO_SMALL);
        download.setVisible(canEdit);
        preview.add(new Div(title, download), uri);
        if (parquet) {
            var schema = new Pre(p.text());
            schema.setId("data-schema");
            schema.addClassName("kiln-job-log");
            preview.add(schema);
        }
        if (p.note() != null) {
            preview.add(new Paragraph(p.note()));
        } else if (("csv".equals(p.kind()) || parquet) && !p.rows().isEmpty()) {
            var table = new Grid<List<String>>();
            table.setId("data-table");
            table.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_COLUMN_BORDERS);
            List<String> header = p.rows().getFirst();
            for (int i = 0; i < header.size(); i++) {
                int column = i;
                table.addColumn(row -> column < row.size() ? row.get(column) : "").setHeader(header.get(i))
                        .setAutoWidth(true);
            }
            table.setItems(p.rows().subList(1, p.rows().size()));
            preview.add(table);
        } else {
            var text = new Pre(p.text());
            text.addClassName("kiln-job-log");
            preview.add(text);
        }
    }

    private static String name(String key) {
        String trimmed = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1) + (key.endsWith("/") ? "/" : "");
    }

    private static String size(long bytes) {
        return bytes < 1024 ? bytes + " B" : bytes < 1 << 20 ? (bytes / 1024) + " KB"
                : String.format("%.1f MB", bytes / (double) (1 << 20));
    }

    /** "Jobs receive it" in an add dialog: shown to the owner only, off to begin with. */
    private Checkbox jobsCheckbox(String id) {
        var box = new Checkbox("Jobs of this studio receive it");
        box.setId(id);
        box.setVisible(mayChooseForJobs);
        return box;
    }

    /**
     * Where a query's whole result goes: the studio's machine ({@code ~/data}) or one of the studio's S3 connections,
     * as Parquet (typed columns) or CSV.
     */
    private final class ExportDialog extends Dialog {
        private static final String MACHINE = "This studio's machine (~/data)";

        ExportDialog(String queryId) {
            setHeaderTitle("Export all rows");
            setId("export-dialog");
            var targets = new LinkedHashMap<String, StudioData.Connection>();
            targets.put(MACHINE, null);
            for (var c : data.connections(studioId)) {
                if (ConnectionKind.S3.is(c.kind())) {
                    targets.put(c.name() + " · s3://" + c.settings().getOrDefault("bucket", ""), c);
                }
            }
            var destination = new Select<String>();
            destination.setLabel("Destination");
            destination.setId("export-destination");
            destination.setItems(targets.keySet());
            destination.setValue(MACHINE);
            destination.setWidth("320px");
            setWidth("560px");
            var format = new Select<String>("Format", e -> { }, "Parquet", "CSV");
            format.setId("export-format");
            format.setValue("Parquet");
            var name = new TextField("File name");
            name.setId("export-name");
            name.setWidthFull();
            String base = "query-" + queryId.substring(0, 8);
            name.setValue(base + ".parquet");
            format.addValueChangeListener(e -> name.setValue(name.getValue().replaceFirst("\\.(parquet|csv)$", "")
                    + (e.getValue().equals("CSV") ? ".csv" : ".parquet")));
            destination.addValueChangeListener(e -> {
                boolean s3 = targets.get(e.getValue()) != null;
                name.setLabel(s3 ? "Object key" : "File name");
                String file = name.getValue().substring(name.getValue().lastIndexOf('/') + 1);
                name.setValue(s3 ? "exports/" + file : file);
            });
            var error = new Paragraph();
            error.setId("export-error");
            error.addClassName("kiln-error");
            var export = new Button("Export", VaadinIcon.DOWNLOAD.create(), e -> {
                try {
                    var target = targets.get(destination.getValue());
                    if (target == null) {
                        data.exportQuery(studioId, queryId, name.getValue().strip());
                    } else {
                        data.exportQueryToS3(studioId, queryId, target.id(), name.getValue().strip());
                    }
                    showTransfers();
                    close();
                } catch (RuntimeException refused) {
                    error.setText(refused.getMessage());
                }
            });
            export.setId("export-start");
            export.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
            var help = new Paragraph("The query runs again and every row streams to the destination; nothing is held "
                    + "in memory. The template's example.PrepareData turns CSV or Parquet under an s3:// path into "
                    + "training shards.");
            help.addClassName("kiln-muted");
            add(new Div(destination, format), name, help, error);
            getFooter().add(new Button("Cancel", e -> close()), export);
        }
    }

    /** A Snowflake account (password or key pair) or a PostgreSQL database. */
    /** Add a database, or with {@code existing} change it (an empty password or key keeps the stored one). */
    private final class AddDatabaseDialog extends Dialog {
        AddDatabaseDialog(StudioData.Connection existing) {
            setHeaderTitle(existing == null ? "Add a database" : "Edit the connection '" + existing.name() + "'");
            setId("db-dialog");
            var kind = new Select<String>("Kind", e -> { }, ConnectionKind.SNOWFLAKE.id(), ConnectionKind.POSTGRESQL.id());
            kind.setId("db-kind");
            kind.setItemLabelGenerator(ConnectionKind::label);
            kind.setValue(ConnectionKind.SNOWFLAKE.id());
            var name = new TextField("Name");
            name.setId("db-name");
            var account = new TextField("Snowflake account (xy12345.eu-central-1)");
            account.setId("db-account");
            var url = new TextField("JDBC URL (jdbc:postgresql://host:5432/db)");
            url.setId("db-url");
            url.setVisible(false);
            var user = new TextField("User");
            user.setId("db-user");
            var warehouse = new TextField("Warehouse");
            var database = new TextField("Database");
            var schema = new TextField("Schema");
            var role = new TextField("Role");
            var password = new PasswordField("Password");
            password.setId("db-password");
            var key = new com.vaadin.flow.component.textfield.TextArea("Or a PKCS#8 private key (key-pair authentication)");
            var passphrase = new PasswordField("Key passphrase");
            var snowflakeOnly = List.of(account, warehouse, database, schema, role, key, passphrase);
            kind.addValueChangeListener(e -> {
                boolean snowflake = ConnectionKind.SNOWFLAKE.is(e.getValue());
                snowflakeOnly.forEach(f -> f.setVisible(snowflake));
                url.setVisible(!snowflake);
            });
            var giveJobs = jobsCheckbox("db-for-jobs");
            if (existing != null) {
                var settings = existing.settings();
                kind.setValue(existing.kind());
                kind.setReadOnly(true);
                name.setValue(existing.name());
                account.setValue(settings.getOrDefault("account", ""));
                url.setValue(settings.getOrDefault("url", ""));
                user.setValue(settings.getOrDefault("user", ""));
                warehouse.setValue(settings.getOrDefault("warehouse", ""));
                database.setValue(settings.getOrDefault("database", ""));
                schema.setValue(settings.getOrDefault("schema", ""));
                role.setValue(settings.getOrDefault("role", ""));
                if (existing.hasSecret()) {
                    password.setPlaceholder("unchanged");
                    password.setHelperText("Leave empty to keep the stored password or key; type a new one to "
                            + "rotate it");
                }
                giveJobs.setVisible(false);
            }
            var error = new Paragraph();
            error.setId("db-error");
            error.addClassName("kiln-error");
            error.setVisible(false);
            var form = new Div(kind, name, account, url, user, warehouse, database, schema, role, password, key,
                    passphrase, giveJobs, error);
            form.getChildren().forEach(c -> c.getElement().getStyle().set("width", "100%"));
            add(form);
            setWidth("480px");
            var save = new Button("Save", e -> {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("user", user.getValue());
                if (ConnectionKind.SNOWFLAKE.is(kind.getValue())) {
                    settings.put("account", account.getValue());
                    settings.put("warehouse", warehouse.getValue());
                    settings.put("database", database.getValue());
                    settings.put("schema", schema.getValue());
                    settings.put("role", role.getValue());
                } else {
                    settings.put("url", url.getValue());
                }
                try {
                    var request = new StudioData.NewConnection(name.getValue(), kind.getValue(),
                            settings, Map.of("password", password.getValue(), "privateKey", key.getValue(),
                            "privateKeyPassphrase", passphrase.getValue()), giveJobs.getValue());
                    var saved = existing == null ? data.create(studioId, request)
                            : data.update(studioId, existing.id(), request);
                    close();
                    reload(saved.id());
                } catch (StudioException refused) {
                    error.setText(refused.getMessage());
                    error.setVisible(true);
                }
            });
            save.setId("db-save");
            save.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
            getFooter().add(new Button("Cancel", e -> close()), save);
        }
    }

    /** Name, bucket, endpoint for S3-compatible stores, and the keys (or none: the machine's own identity). */
    /** Add an S3 connection, or with {@code existing} change it (an empty secret keeps the stored one). */
    private final class AddS3Dialog extends Dialog {
        AddS3Dialog(StudioData.Connection existing) {
            setHeaderTitle(existing == null ? "Add an S3 connection" : "Edit the connection '" + existing.name() + "'");
            setId("conn-dialog");
            var name = new TextField("Name");
            name.setId("conn-name");
            var bucket = new TextField("Bucket");
            bucket.setId("conn-bucket");
            var region = new TextField("Region");
            region.setId("conn-region");
            region.setValue("us-east-1");
            var endpoint = new TextField("Endpoint (S3-compatible stores only)");
            endpoint.setId("conn-endpoint");
            endpoint.setPlaceholder("https://minio.example.com");
            var pathStyle = new Checkbox("Path-style addressing");
            pathStyle.setId("conn-path-style");
            var key = new TextField("Access key id");
            key.setId("conn-key");
            key.setHelperText("Leave both empty to use the server's own AWS identity, where the admin allows it "
                    + "for this bucket");
            var secret = new PasswordField("Secret access key");
            secret.setId("conn-secret");
            var giveJobs = jobsCheckbox("conn-for-jobs");
            if (existing != null) {
                var settings = existing.settings();
                name.setValue(existing.name());
                bucket.setValue(settings.getOrDefault("bucket", ""));
                region.setValue(settings.getOrDefault("region", ""));
                endpoint.setValue(settings.getOrDefault("endpoint", ""));
                pathStyle.setValue(Boolean.parseBoolean(settings.getOrDefault("pathStyle", "false")));
                key.setHelperText(existing.hasSecret() ? "Leave both empty to keep the stored key; type a new key "
                        + "and secret to rotate them" : "Empty: the server's own AWS identity, where the admin allows "
                        + "it for this bucket");
                key.setPlaceholder(existing.hasSecret() ? "unchanged" : "");
                secret.setPlaceholder(existing.hasSecret() ? "unchanged" : "");
                giveJobs.setVisible(false); // "Jobs receive it" in the bar
            }
            var error = new Paragraph();
            error.setId("conn-error");
            error.addClassName("kiln-error");
            error.setVisible(false);
            for (var field : List.of(name, bucket, region, endpoint, key)) {
                field.setWidthFull();
            }
            secret.setWidthFull();
            add(new Div(name, bucket, region, endpoint, pathStyle, key, secret, giveJobs, error));
            setWidth("480px");
            var save = new Button("Save", e -> {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("bucket", bucket.getValue());
                settings.put("region", region.getValue());
                settings.put("endpoint", endpoint.getValue());
                settings.put("pathStyle", String.valueOf(pathStyle.getValue()));
                try {
                    var request = new StudioData.NewConnection(name.getValue(), ConnectionKind.S3.id(), settings,
                            Map.of("accessKeyId", key.getValue(), "secretAccessKey", secret.getValue()),
                            giveJobs.getValue());
                    var saved = existing == null ? data.create(studioId, request)
                            : data.update(studioId, existing.id(), request);
                    close();
                    reload(saved.id());
                    if (existing != null) {
                        verdict.setText("Saved '" + saved.name() + "'. Press Test to check it.");
                        verdict.getElement().setAttribute("data-kind", "ok");
                    }
                } catch (StudioException refused) {
                    error.setText(refused.getMessage());
                    error.setVisible(true);
                }
            });
            save.setId("conn-save");
            save.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
            getFooter().add(new Button("Cancel", e -> close()), save);
        }
    }
}
