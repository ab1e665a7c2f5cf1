package dev.kiln.ui.studio;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** A file's modification time in the few characters a tree column has: the time today, else the day. */
final class FileAge {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d", Locale.ENGLISH);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT);

    private FileAge() {
    }

    static String compact(Instant time, Clock clock) {
        if (time == null) {
            return "";
        }
        ZoneId zone = ZoneId.systemDefault();
        LocalDate day = time.atZone(zone).toLocalDate();
        LocalDate today = clock.instant().atZone(zone).toLocalDate();
        if (day.equals(today)) {
            return TIME.format(time.atZone(zone));
        }
        return day.getYear() == today.getYear() ? DAY.format(day) : DATE.format(day);
    }
}
