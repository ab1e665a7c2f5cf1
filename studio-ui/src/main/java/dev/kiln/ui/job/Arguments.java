package dev.kiln.ui.job;

import java.util.ArrayList;
import java.util.List;

/**
 * A job's arguments as typed in one line, the way a shell splits them: spaces separate, "double" or 'single' quotes
 * keep spaces (query="select a, b from t"), a backslash escapes the next character outside single quotes.
 */
public final class Arguments {
    private Arguments() {}

    public static List<String> split(String line) {
        var result = new ArrayList<String>();
        if (line == null) {
            return result;
        }
        var current = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
                    current.append(line.charAt(++i));
                } else {
                    current.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < line.length()) {
                current.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    result.add(current.toString());
                    current.setLength(0);
                    inWord = false;
                }
            } else {
                current.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("An argument's quote (" + quote + ") is not closed.");
        }
        if (inWord) {
            result.add(current.toString());
        }
        return result;
    }

    /** The line that {@link #split} turns back into these arguments (for a re-run's dialog). */
    public static String join(List<String> args) {
        var line = new StringBuilder();
        for (String arg : args) {
            if (!line.isEmpty()) {
                line.append(' ');
            }
            if (!arg.isEmpty() && arg.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\''
                    || c == '\\')) {
                line.append(arg);
            } else {
                line.append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return line.toString();
    }
}
