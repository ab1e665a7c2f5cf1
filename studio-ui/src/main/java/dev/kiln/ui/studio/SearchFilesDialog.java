package dev.kiln.ui.studio;

import dev.kiln.api.files.StudioWorkspace;
import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.textfield.TextField;

/**
 * Search across the workspace's files (Ctrl+Shift+F): each matching line with its file and line number; clicking one
 * opens the file at that line.
 */
class SearchFilesDialog extends Dialog {

    /** Opens a file at a line and column (1-based). */
    interface Opener {
        void open(String path, int line, int column);
    }

    SearchFilesDialog(String studioId, StudioWorkspace workspace, String initial, Opener opener) {
        setId("search-files");
        setHeaderTitle("Search the files");
        setWidth("760px");
        setHeight("70vh");
        var query = new TextField();
        query.setId("search-files-query");
        query.setPlaceholder("Text to find in every file");
        query.setValue(initial == null ? "" : initial);
        query.setWidthFull();
        var summary = new Span();
        summary.setId("search-files-summary");
        summary.addClassName("kiln-muted");
        var results = new Div();
        results.setId("search-files-results");
        results.addClassName("kiln-search-results");
        Runnable run = () -> {
            results.removeAll();
            var found = FileSearch.search(workspace, studioId, query.getValue());
            summary.setText(query.getValue().isBlank() ? "" : found.matches().size() + (found.matches().size() == 1
                    ? " match" : " matches") + " in " + found.filesSearched() + " files searched"
                    + (found.cut() ? " (stopped there: narrow the search)" : ""));
            String lastPath = null;
            for (var match : found.matches()) {
                if (!match.path().equals(lastPath)) {
                    var file = new Div(match.path());
                    file.addClassName("kiln-search-file");
                    results.add(file);
                    lastPath = match.path();
                }
                var number = new Span(String.valueOf(match.line()));
                number.addClassName("kiln-search-line");
                var row = new Div(number, new Span(match.text()));
                row.addClassName("kiln-search-row");
                row.getElement().setAttribute("data-path", match.path());
                row.getElement().setAttribute("data-line", String.valueOf(match.line()));
                row.addClickListener(e -> {
                    close();
                    opener.open(match.path(), match.line(), match.column());
                });
                results.add(row);
            }
        };
        query.addKeyDownListener(Key.ENTER, e -> run.run());
        var search = new Button("Search", e -> run.run());
        search.setId("search-files-run");
        search.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        var bar = new Div(query, search);
        bar.addClassName("kiln-search-bar");
        var body = new Div(bar, summary, results);
        body.addClassName("kiln-pane");
        add(body);
        getFooter().add(new Button("Close", e -> close()));
        query.focus();
        if (!query.getValue().isBlank()) {
            run.run();
        }
    }
}
