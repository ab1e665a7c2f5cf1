package dev.kiln.server.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.api.job.JobSummary;

/**
 * A job backend without processes, for fast tests of the job logic: it remembers what it was asked (launches,
 * cancels, adoptions, forgets) and observes whatever the test says its machine reports ({@link #report}).
 */
final class FakeJobBackend implements JobBackend {
    final List<Launch> launches = new ArrayList<>();
    final List<String> cancels = new ArrayList<>();
    final List<String> forgotten = new ArrayList<>();
    private final Map<String, ObservedJob> seen = new ConcurrentHashMap<>();
    private Events events;
    private Machine machine = Machine.READY;

    @Override
    public void listen(Events events) {
        this.events = events;
    }

    @Override
    public synchronized void launch(Launch launch) {
        launches.add(launch);
        seen.put(launch.jobId(), ObservedJob.at(Where.LAUNCHING, machine));
    }

    @Override
    public synchronized void cancel(String studioId, String jobId) {
        cancels.add(jobId);
        seen.computeIfPresent(jobId, (id, o) -> o.withCancelSent());
    }

    @Override
    public ObservedJob observe(String studioId, String jobId) {
        return seen.getOrDefault(jobId, ObservedJob.at(Where.NEW, machine));
    }

    @Override
    public void adopt(String studioId, JobSummary job, MachineType type) {
        seen.put(job.id(), ObservedJob.at(Where.UNKNOWN, Machine.COMING));
    }

    @Override
    public synchronized void forget(String studioId, String jobId) {
        forgotten.add(jobId);
        seen.remove(jobId);
    }

    /** What the machine (or cluster) says now about the job; the service hears of it as a backend's would. */
    void report(String jobId, ObservedJob observed) {
        seen.put(jobId, observed);
        events.changed(jobId);
    }

    /** Output of the job, as the agent streams it. */
    void output(String jobId, String text) {
        events.output(jobId, text);
    }

    void machine(Machine machine) {
        this.machine = machine;
    }
}
