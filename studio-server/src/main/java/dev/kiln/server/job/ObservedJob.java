package dev.kiln.server.job;

/**
 * What the job's backend knows right now, nothing decided: where the job is, how it ended, and whether there is a
 * machine to run it on. A backend builds it from what it has been told (the agent's messages and hellos, the
 * cluster's Job and pods) without side effects, so observing twice gives the same answer.
 */
record ObservedJob(Where where, Exit exit, Machine machine, boolean cancelSent) {

    /** Where the job is, as far as its backend can tell. */
    enum Where {
        /** Never launched: a job this server has just created. */
        NEW,
        /** Asked to start; no answer yet. */
        LAUNCHING,
        /** Preparing: syncing and compiling on the machine, or waiting for every node of a gang to be scheduled. */
        STARTING,
        RUNNING,
        /** It ended: see {@link ObservedJob#exit()}. */
        EXITED,
        /** Its machine's connection ended while it was under way, and no machine has reported it since. */
        LOST,
        /** Found after a restart; its machine has not reported yet. */
        UNKNOWN,
        /** The machine there now (or the cluster) does not know it: it is not running anywhere. */
        MISSING
    }

    /**
     * How it ended: the exit code, the words of whoever knew why (the agent, the launcher, the cluster; null if
     * nobody said), and whether it was stopped because its machine was going away (a switch or a stop).
     */
    record Exit(int code, String reason, boolean interrupted) {}

    /** Whether the job has a machine to run on. */
    enum Machine {
        /**
         * A machine is connected and has the studio's files (and it is not the one that stopped the job), or the job
         * needs none (a cluster job).
         */
        READY,
        /** None right now, but the studio wants one: a switch, a replaced machine, a pod whose agent reconnects. */
        COMING,
        /** None, and none wanted: the studio's machine is stopped. */
        NONE
    }

    static ObservedJob at(Where where, Machine machine) {
        return new ObservedJob(where, null, machine, false);
    }

    static ObservedJob exited(Exit exit, Machine machine) {
        return new ObservedJob(Where.EXITED, exit, machine, false);
    }

    ObservedJob withCancelSent() {
        return new ObservedJob(where, exit, machine, true);
    }
}
