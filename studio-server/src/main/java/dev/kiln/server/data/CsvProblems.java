package dev.kiln.server.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Commons CSV's complaints in words a person reads ("a quoted value that starts on line 3 is never closed"), never
 * {@code org.apache.commons.csv.CSVException: (startline 3) EOF reached before encapsulated token finished}, for the
 * Data tab's previews. The twin of the training runtime's {@code dev.kiln.training.data.CsvProblems} (what jobs
 * say): the server does not load the machines' runtime, so it keeps its own copy; CsvProblemsParityTest keeps the
 * two saying the same.
 */
final class CsvProblems {
    private static final Pattern UNCLOSED = Pattern.compile("\\(startline (\\d+)\\) EOF reached before encapsulated "
            + "token finished");
    private static final Pattern AFTER_QUOTE = Pattern.compile("(?i)invalid char(?:acter)? between encapsulated token "
            + "and delimiter(?: at line: (\\d+), position: (\\d+))?");
    private static final Pattern OLD_AFTER_QUOTE = Pattern.compile("\\(line (\\d+)\\) invalid char between "
            + "encapsulated token and delimiter");
    private static final Pattern DUPLICATE = Pattern.compile("The header contains a duplicate name: \"([^\"]*)\"");
    private static final Pattern MISSING = Pattern.compile("A header name is missing");

    private CsvProblems() {}

    /** What is wrong with the CSV, as a sentence without the library's class names. */
    static String describe(Throwable failure) {
        String message = innermostMessage(failure);
        Matcher m;
        if ((m = UNCLOSED.matcher(message)).find()) {
            return "a quoted value that starts on line " + m.group(1) + " is never closed (a \" is missing)";
        }
        if ((m = OLD_AFTER_QUOTE.matcher(message)).find()) {
            return "line " + m.group(1) + " has a character right after a closing quote; a quoted value must end at "
                    + "a comma or the line's end";
        }
        if ((m = AFTER_QUOTE.matcher(message)).find()) {
            return (m.group(1) == null ? "a line" : "line " + m.group(1) + " (at character " + m.group(2) + ")")
                    + " has a character right after a closing quote; a quoted value must end at a comma or the "
                    + "line's end";
        }
        if ((m = DUPLICATE.matcher(message)).find()) {
            return "the header names the column \"" + m.group(1) + "\" twice";
        }
        if (MISSING.matcher(message).find()) {
            return "the header has an empty column name";
        }
        if (message.contains("EOF whilst processing escape sequence")) {
            return "the file ends in the middle of an escape sequence";
        }
        return message.isBlank() ? "it is not valid CSV" : message;
    }

    /** The deepest cause's message, without "some.package.SomeException: " prefixes. */
    private static String innermostMessage(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? "" : t.getMessage();
        return message.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): ", "").strip();
    }
}
