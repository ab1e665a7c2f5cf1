package dev.kiln.training.notebook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** Rows under column names, shown as an HTML table (the first {@value #SHOWN} rows) and as aligned text. */
public final class Table implements Displayable {
    static final int SHOWN = 200;
    private final List<String> columns;
    private final List<List<?>> rows;

    Table(List<String> columns, List<? extends List<?>> rows) {
        this.columns = List.copyOf(columns);
        this.rows = new ArrayList<>(rows);
    }

    static Table of(List<? extends Map<String, ?>> records) {
        var columns = new LinkedHashSet<String>();
        records.forEach(r -> columns.addAll(r.keySet()));
        var rows = new ArrayList<List<?>>();
        for (var record : records) {
            var row = new ArrayList<Object>();
            columns.forEach(c -> row.add(record.get(c)));
            rows.add(row);
        }
        return new Table(new ArrayList<>(columns), rows);
    }

    public List<String> columns() {
        return columns;
    }

    public int size() {
        return rows.size();
    }

    @Override
    public Map<String, Object> mimeBundle() {
        var html = new StringBuilder("<table class=\"kiln-table\"><thead><tr>");
        columns.forEach(c -> html.append("<th>").append(escape(c)).append("</th>"));
        html.append("</tr></thead><tbody>");
        for (int r = 0; r < Math.min(rows.size(), SHOWN); r++) {
            html.append("<tr>");
            for (Object value : rows.get(r)) {
                html.append("<td>").append(escape(String.valueOf(value))).append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</tbody></table>");
        if (rows.size() > SHOWN) {
            html.append("<p>").append(rows.size() - SHOWN).append(" more rows (").append(rows.size()).append(" in all)</p>");
        }
        var bundle = new LinkedHashMap<String, Object>();
        bundle.put("text/html", html.toString());
        bundle.put("text/plain", text());
        return bundle;
    }

    private String text() {
        int shown = Math.min(rows.size(), SHOWN);
        int[] widths = new int[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = columns.get(c).length();
            for (int r = 0; r < shown; r++) {
                widths[c] = Math.max(widths[c], cell(r, c).length());
            }
        }
        var text = new StringBuilder();
        for (int c = 0; c < columns.size(); c++) {
            text.append(String.format("%-" + (widths[c] + 2) + "s", columns.get(c)));
        }
        text.append('\n');
        for (int r = 0; r < shown; r++) {
            for (int c = 0; c < columns.size(); c++) {
                text.append(String.format("%-" + (widths[c] + 2) + "s", cell(r, c)));
            }
            text.append('\n');
        }
        if (rows.size() > shown) {
            text.append("... ").append(rows.size() - shown).append(" more rows\n");
        }
        return text.toString().stripTrailing();
    }

    private String cell(int row, int column) {
        var values = rows.get(row);
        return column < values.size() ? String.valueOf(values.get(column)) : "";
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    @Override
    public String toString() {
        return text();
    }
}
