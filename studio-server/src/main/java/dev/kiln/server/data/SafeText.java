package dev.kiln.server.data;

/**
 * Text from users or remote servers made safe for one line of a log: line breaks and other control characters are
 * shown as escapes ({@code \n}, {@code \u001b}), so nobody can forge a log line or colour a terminal that reads it.
 */
public final class SafeText {
    private static final int MAX = 2_000;

    private SafeText() {}

    public static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        var out = new StringBuilder(Math.min(text.length(), MAX) + 16);
        for (int i = 0; i < text.length() && out.length() < MAX; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || Character.getType(c)
                            == Character.FORMAT && c != '\u200d') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (out.length() >= MAX && text.length() > MAX) {
            out.append("…");
        }
        return out.toString();
    }
}
