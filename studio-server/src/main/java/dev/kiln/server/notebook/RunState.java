package dev.kiln.server.notebook;

import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;

/**
 * Where one cell's latest run is: queued, running, then done, error, aborted (not run: a cell before it failed, or
 * someone interrupted), or lost (the kernel died or the machine went away while it ran). Who asked for it is shown.
 */
public record RunState(State state, String by, Instant queuedAt, Instant startedAt, Instant endedAt,
                       Integer executionCount, String detail) {

    public enum State {
        QUEUED, RUNNING, DONE, ERROR, ABORTED, LOST;

        public boolean ended() {
            return this != QUEUED && this != RUNNING;
        }
    }

    public static RunState queued(String by, Instant at) {
        return new RunState(State.QUEUED, by, at, null, null, null, null);
    }

    public RunState running(Instant at, Integer count) {
        return new RunState(State.RUNNING, by, queuedAt, at, null, count, null);
    }

    public RunState ended(State how, Instant at, Integer count, String why) {
        return new RunState(how, by, queuedAt, startedAt, at, count != null ? count : executionCount, why);
    }

    ObjectNode toJson() {
        var node = Notebook.JSON.createObjectNode();
        node.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        node.put("by", by);
        if (queuedAt != null) {
            node.put("queuedAt", queuedAt.toEpochMilli());
        }
        if (startedAt != null) {
            node.put("startedAt", startedAt.toEpochMilli());
        }
        if (endedAt != null) {
            node.put("endedAt", endedAt.toEpochMilli());
        }
        if (executionCount != null) {
            node.put("executionCount", executionCount);
        }
        if (detail != null) {
            node.put("detail", detail);
        }
        return node;
    }
}
