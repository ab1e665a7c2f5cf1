package dev.kiln.server.notebook;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON written the way Jupyter writes notebooks ({@code json.dumps(nb, indent=1, sort_keys=True,
 * ensure_ascii=False)} plus a final newline), so a notebook saved by Kiln and then by Jupyter (or the other way)
 * differs only where its content does, and git diffs stay small.
 */
final class JupyterJson {
    private JupyterJson() {}

    static String write(JsonNode node) {
        var out = new StringBuilder();
        write(node, 0, out);
        return out.append('\n').toString();
    }

    private static void write(JsonNode node, int depth, StringBuilder out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            if (node.isEmpty()) {
                out.append("{}");
                return;
            }
            Map<String, JsonNode> sorted = new TreeMap<>();
            node.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
            out.append("{\n");
            int i = 0;
            for (var entry : sorted.entrySet()) {
                indent(depth + 1, out);
                string(entry.getKey(), out);
                out.append(": ");
                write(entry.getValue(), depth + 1, out);
                out.append(++i < sorted.size() ? ",\n" : "\n");
            }
            indent(depth, out);
            out.append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append("[\n");
            for (int i = 0; i < node.size(); i++) {
                indent(depth + 1, out);
                write(node.get(i), depth + 1, out);
                out.append(i + 1 < node.size() ? ",\n" : "\n");
            }
            indent(depth, out);
            out.append(']');
        } else if (node.isString()) {
            string(node.asString(), out);
        } else if (node.isBoolean()) {
            out.append(node.asBoolean());
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            out.append(pythonFloat(node.asDouble()));
        } else {
            out.append(node);
        }
    }

    private static void indent(int depth, StringBuilder out) {
        out.append(" ".repeat(depth));
    }

    static void string(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's repr of a float: {@code 1.0}, {@code 0.001}, {@code 1e-05}, {@code NaN} as Jupyter writes it. */
    private static String pythonFloat(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        String text = Double.toString(value);
        int e = text.indexOf('E');
        double magnitude = Math.abs(value);
        if (e >= 0 && magnitude >= 1e-4 && magnitude < 1e16) {
            // Python keeps plain notation in this range, Java switches to exponents at 1e7 and 1e-3.
            String plain = new java.math.BigDecimal(text).toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        if (e < 0) {
            return text;
        }
        String mantissa = text.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        int exponent = Integer.parseInt(text.substring(e + 1));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    /**
     * Lines as Python's {@code str.splitlines(True)} cuts them for the line breaks notebooks hold ({@code \n},
     * {@code \r\n}, {@code \r}), each keeping its break.
     */
    static List<String> splitLines(String text) {
        var lines = new ArrayList<String>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                lines.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }
}
