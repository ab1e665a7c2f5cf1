package dev.kiln.machine.kernel;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A javadoc comment as JShell's source analysis gives it (its raw text: inline tags, HTML) turned into plain text for
 * a notebook's documentation tooltip, as the jshell tool shows it: {@code {@code x}} becomes {@code x}, a link its
 * label, paragraphs and list items new lines, entities their characters.
 */
final class JavadocText {
    private static final Pattern CODE = Pattern.compile("\\{@(?:code|literal)\\s([^{}]*(?:\\{[^{}]*}[^{}]*)*)}");
    private static final Pattern LINK = Pattern.compile("\\{@(?:link|linkplain)\\s+([^\\s{}]+)(?:\\s+([^{}]*))?}");
    private static final Pattern OTHER_TAG = Pattern.compile("\\{@\\w+\\s*([^{}]*)}");

    private JavadocText() {}

    static String plain(String javadoc) {
        if (javadoc == null) {
            return "";
        }
        var lines = new StringBuilder();
        for (String line : javadoc.split("\n", -1)) {
            lines.append(line.startsWith(" ") ? line.substring(1) : line).append('\n'); // the space after each " *"
        }
        String text = lines.toString();
        text = replace(CODE, text, m -> m.group(1));
        text = replace(LINK, text, m -> m.group(2) != null && !m.group(2).isBlank() ? m.group(2).strip()
                : m.group(1).replaceFirst("^#", "").replace('#', '.'));
        text = replace(OTHER_TAG, text, m -> m.group(1));
        text = text.replaceAll("(?i)<p>\\s*", "\n").replaceAll("(?i)</p>", "")
                .replaceAll("(?i)<li>\\s*", "\n - ").replaceAll("(?i)<br\\s*/?>", "\n")
                .replaceAll("(?i)</?(?:pre|ul|ol|li|b|i|em|strong|code|tt|blockquote|table|tr|td|th|a|h\\d|dl|dt|dd|span|div)"
                        + "(?:\\s[^>]*)?>", "");
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&nbsp;", " ").replace("&amp;", "&");
        return text.replaceAll("\n{3,}", "\n\n").strip();
    }

    private static String replace(Pattern pattern, String text, java.util.function.Function<java.util.regex.MatchResult, String> with) {
        return pattern.matcher(text).replaceAll(m -> Matcher.quoteReplacement(with.apply(m)));
    }
}
