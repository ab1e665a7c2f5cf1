package dev.kiln.ui.studio;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.data.value.ValueChangeMode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Quick open (Ctrl+P): type part of a file's name, or letters of its path in order ("sumreg" finds
 * src/main/java/example/SumRegression.java), and Enter opens the best match.
 */
class QuickOpen extends Dialog {
    static final int SHOWN = 30;

    private final List<String> paths;
    private final Consumer<String> open;
    private final Div results = new Div();
    private List<String> matches = List.of();

    QuickOpen(List<String> paths, Consumer<String> open) {
        this.paths = paths;
        this.open = open;
        setId("quick-open");
        setHeaderTitle("Go to file");
        setWidth("640px");
        var query = new TextField();
        query.setId("quick-open-query");
        query.setPlaceholder("File name, or letters of its path");
        query.setWidthFull();
        query.setValueChangeMode(ValueChangeMode.EAGER);
        query.addValueChangeListener(e -> show(e.getValue()));
        query.addKeyDownListener(Key.ENTER, e -> {
            if (!matches.isEmpty()) {
                choose(matches.getFirst());
            }
        });
        results.setId("quick-open-results");
        results.addClassName("kiln-quick-results");
        add(query, results);
        show("");
        query.focus();
    }

    private void show(String query) {
        matches = rank(paths, query);
        results.removeAll();
        for (String path : matches.subList(0, Math.min(SHOWN, matches.size()))) {
            var name = new Span(path.substring(path.lastIndexOf('/') + 1));
            name.addClassName("kiln-quick-name");
            var where = new Span(path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : "");
            where.addClassName("kiln-muted");
            var row = new Div(name, where);
            row.addClassName("kiln-quick-row");
            row.getElement().setAttribute("data-path", path);
            row.addClickListener(e -> choose(path));
            results.add(row);
        }
        if (matches.isEmpty()) {
            results.add(new Span("No file matches."));
        }
    }

    private void choose(String path) {
        close();
        open.accept(path);
    }

    /**
     * Paths whose letters contain the query's in order, best first: a match in the file name beats one across the
     * path, a contiguous match beats a scattered one, then shorter paths.
     */
    static List<String> rank(List<String> paths, String query) {
        String q = query.strip().toLowerCase(Locale.ROOT).replace(" ", "");
        record Scored(String path, int score) {}
        var scored = new ArrayList<Scored>();
        for (String path : paths) {
            String lower = path.toLowerCase(Locale.ROOT);
            String name = lower.substring(lower.lastIndexOf('/') + 1);
            int score;
            if (q.isEmpty()) {
                score = 0;
            } else if (name.contains(q)) {
                score = name.startsWith(q) ? 0 : 1;
            } else if (lower.contains(q)) {
                score = 2;
            } else if (subsequence(name, q)) {
                score = 3;
            } else if (subsequence(lower, q)) {
                score = 4;
            } else {
                continue;
            }
            scored.add(new Scored(path, score));
        }
        scored.sort(Comparator.comparingInt(Scored::score).thenComparingInt(s -> s.path().length())
                .thenComparing(Scored::path));
        return scored.stream().map(Scored::path).toList();
    }

    private static boolean subsequence(String text, String query) {
        int i = 0;
        for (int j = 0; j < text.length() && i < query.length(); j++) {
            if (text.charAt(j) == query.charAt(i)) {
                i++;
            }
        }
        return i == query.length();
    }
}
