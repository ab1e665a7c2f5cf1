package dev.kiln.collab;

/** The smallest single replacement that turns one text into another (common prefix and suffix kept). */
public final class TextDiff {

    private TextDiff() {
    }

    public static ChangeSet between(String from, String to) {
        int prefix = 0;
        int max = Math.min(from.length(), to.length());
        while (prefix < max && from.charAt(prefix) == to.charAt(prefix)) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < max - prefix && from.charAt(from.length() - 1 - suffix) == to.charAt(to.length() - 1 - suffix)) {
            suffix++;
        }
        return ChangeSet.replace(from.length(), prefix, from.length() - suffix, to.substring(prefix, to.length() - suffix));
    }
}
