package dev.kiln.server.workspace;

import org.eclipse.jgit.lib.PersonIdent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Typing pauses folded into one commit per stretch of activity: the live editor writes a file back a moment after
 * every pause, so the machines and the file's readers always have the latest text, and while that file's last
 * automatic commit is still the newest commit and younger than the window, the next write-back amends it instead of
 * adding another. The commit says which file and who edited it in that stretch. A save, Ctrl+S, another file's commit
 * or the end of the window starts a new one; a window of zero gives one commit per pause. Kept in memory: after a
 * restart the next write-back starts a new commit.
 */
final class EditSessions {
    /** The automatic commit that is still open for a file: when its stretch began and who edited in it. */
    record Session(String commit, Instant started, List<PersonIdent> people) {}

    private final Map<String, Session> byPath = new HashMap<>();
    private volatile Duration window = Duration.ZERO;
    private volatile Clock clock = Clock.systemUTC();

    void configure(Duration window, Clock clock) {
        this.window = window == null || window.isNegative() ? Duration.ZERO : window;
        this.clock = clock;
    }

    /** The session a write-back of {@code path} folds into, with {@code head} the newest commit; null for none. */
    synchronized Session open(String path, String head) {
        var session = byPath.get(path);
        if (session == null || window.isZero() || !session.commit().equals(head)
                || Duration.between(session.started(), clock.instant()).compareTo(window) >= 0) {
            return null;
        }
        return session;
    }

    /** The people of the session (if any) and then the new editors, each once, in order of their first edit. */
    static List<PersonIdent> people(Session session, List<PersonIdent> editors) {
        var people = new ArrayList<PersonIdent>(session == null ? List.of() : session.people());
        for (var editor : editors) {
            if (people.stream().noneMatch(p -> p.getEmailAddress().equals(editor.getEmailAddress()))) {
                people.add(editor);
            }
        }
        return people;
    }

    synchronized void committed(String path, String commit, Session folded, List<PersonIdent> people) {
        byPath.put(path, new Session(commit, folded == null ? clock.instant() : folded.started(), List.copyOf(people)));
    }

    /** The file's next write-back starts a new commit (Ctrl+S, a save, a restore). */
    synchronized void end(String path) {
        byPath.remove(path);
    }

    /** "Edit README.md (Ann Lee, Bob Ray)", with a Co-authored-by trailer for everyone after the author. */
    static String message(String path, List<PersonIdent> people) {
        var message = new StringBuilder("Edit ").append(path);
        if (!people.isEmpty()) {
            message.append(" (").append(String.join(", ", people.stream().map(PersonIdent::getName).toList()))
                    .append(')');
        }
        var coAuthors = people.stream().skip(1).toList();
        if (!coAuthors.isEmpty()) {
            message.append("\n");
            for (var co : coAuthors) {
                message.append("\nCo-authored-by: ").append(co.getName()).append(" <").append(co.getEmailAddress())
                        .append(">");
            }
        }
        return message.toString();
    }
}
