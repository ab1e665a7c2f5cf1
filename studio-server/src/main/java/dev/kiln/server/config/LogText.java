package dev.kiln.server.config;

/**
 * Makes text that users, clients or agents send safe to put in a log line: CR, LF and every other control
 * character (and the Unicode line and paragraph separators) become visible escapes such as {@code \n} or
 * {@code \u001b}, so nobody can forge a log line or move the cursor of whoever reads the log in a terminal; and
 * overlong text is cut with a note of how much was left out. Use it on every user-supplied value that reaches a
 * logger: {@code log.warn("Sign-in refused for {}", LogText.clean(username))}.
 */
public final class LogText {

    /** Longer values are cut: a log line is for a person, and a megabyte "user name" is itself an attack. */
    static final int MAX = 300;

    private LogText() {
    }

    /** {@code value} as one safe log token; {@code null} stays {@code "null"}. */
    public static String clean(Object value) {
        return value == null ? "null" : oneLine(value.toString(), MAX);
    }

    /**
     * {@code text} as one line of at most {@code max} characters of its own (escapes aside): for lines other people
     * read, such as Kiln's notes in a job's log, where a job argument must not start a line of its own.
     */
    public static String oneLine(String text, int max) {
        if (text == null) {
            return "";
        }
        var out = new StringBuilder(Math.min(text.length(), max) + 16);
        int shown = 0;
        int i = 0;
        while (i < text.length() && shown < max) {
            char c = text.charAt(i++);
            shown++;
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || isBidiControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (i < text.length()) {
            out.append("...(").append(text.length() - i).append(" more characters)");
        }
        return out.toString();
    }

    /** Bidirectional overrides reorder what a reader sees ("Trojan Source"), so they are shown as escapes too. */
    private static boolean isBidiControl(char c) {
        return (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f';
    }
}
