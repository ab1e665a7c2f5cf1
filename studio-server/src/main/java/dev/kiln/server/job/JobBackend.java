package dev.kiln.server.job;

import java.util.List;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import tools.jackson.databind.JsonNode;

/**
 * Where jobs run: the agent of the studio's machine ({@link AgentJobs}) or Indexed Jobs on the cluster
 * ({@link ClusterJobs}). A backend starts, stops and observes; what to do is the {@link JobPlanner}'s, and what it
 * hears it passes on to {@link Events}.
 */
interface JobBackend {
    /** What a launch needs: the job, the machine type it was asked for, and the studio's data connections for it. */
    record Launch(String studioId, String jobId, JobRequest request, MachineType type, boolean resume,
                  JsonNode connections) {}

    /** Where the backend passes on what it hears (called once, before anything is launched). */
    void listen(Events events);

    void launch(Launch launch);

    /** Stops it (every process gets 10 s to checkpoint); the exit follows as an observation. */
    void cancel(String studioId, String jobId);

    /** What is known of the job right now, without side effects. */
    ObservedJob observe(String studioId, String jobId);

    /**
     * A job the records say was under way when the server stopped: follow it again once it is reported.
     * {@code type}: the machine type it was started on (null when the catalog no longer has it).
     */
    void adopt(String studioId, JobSummary job, MachineType type);

    /** The job's record says it ended: drop what is kept for it and remove what it left (a cluster's objects). */
    void forget(String studioId, String jobId);

    /** Called every couple of seconds, for backends that poll (the cluster's Job and pod logs). */
    default void poll() {
    }

    /** What a backend hears about its jobs, passed on as it comes (the job service implements it). */
    interface Events {
        /** Something about the job changed: plan again. */
        void changed(String jobId);

        /** A chunk of the job's output (logs and metric lines), in order. */
        void output(String jobId, String text);

        /** A step of its preparation (syncing, compiling, scheduling) in words. */
        void phase(String jobId, String detail);

        void diagnostics(String jobId, List<JobSummary.Diagnostic> diagnostics);

        /** A line for the job's log from Kiln itself. */
        void note(String jobId, String text);

        /** Some output never reached the server: the log here is partial (the machine's file has all of it). */
        void logPartial(String jobId, long droppedChars);
    }
}
