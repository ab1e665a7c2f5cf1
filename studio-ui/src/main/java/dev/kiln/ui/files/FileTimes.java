package dev.kiln.ui.files;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;

/** How the file tree and viewer show when something changed. */
final class FileTimes {
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.SHORT).withZone(ZoneId.systemDefault());

    private FileTimes() {
    }

    static String format(Instant time) {
        return time == null ? "" : WHEN.format(time);
    }
}
