package dev.kiln.server.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.FromMachine.JobReport;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;

/**
 * The agent backend on a fake channel: what the machine's messages and hellos say becomes the observation, without
 * an agent process or a socket.
 */
class AgentJobsTest {
    static final JobRequest REQUEST = new JobRequest("example.SumRegression", List.of(), 1, 1);

    /** A machine channel whose machine is the test: it says what the test delivers, and keeps what is sent. */
    static final class FakeChannel extends MachineChannel {
        final List<ToMachine> sent = new ArrayList<>();
        private final List<Map.Entry<Class<?>, BiConsumer<String, FromMachine>>> handlers = new CopyOnWriteArrayList<>();
        boolean ready = true;

        FakeChannel() {
            super(new AgentRegistry());
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends FromMachine> Subscription on(Class<T> type, BiConsumer<String, T> action) {
            var handler = Map.<Class<?>, BiConsumer<String, FromMachine>>entry(type,
                    (studio, message) -> action.accept(studio, (T) message));
            handlers.add(handler);
            return () -> handlers.remove(handler);
        }

        @Override
        public boolean send(String studioId, ToMachine message) {
            sent.add(message);
            return ready;
        }

        @Override
        public boolean isReady(String studioId) {
            return ready;
        }

        void says(FromMachine message) {
            handlers.stream().filter(h -> h.getKey().isInstance(message)).forEach(h -> h.getValue().accept("s1", message));
        }
    }

    final FakeChannel machine = new FakeChannel();
    final AgentJobs jobs = new AgentJobs(machine, studio -> true);
    final List<String> changed = new ArrayList<>();
    final List<String> phases = new ArrayList<>();

    AgentJobsTest() {
        jobs.listen(new JobBackend.Events() {
            @Override
            public void changed(String jobId) {
                AgentJobsTest.this.changed.add(jobId);
            }

            @Override
            public void output(String jobId, String text) {
            }

            @Override
            public void phase(String jobId, String detail) {
                phases.add(detail);
            }

            @Override
            public void diagnostics(String jobId, List<JobSummary.Diagnostic> diagnostics) {
            }

            @Override
            public void note(String jobId, String text) {
            }

            @Override
            public void logPartial(String jobId, long droppedChars) {
            }
        });
    }

    static FromMachine.Hello hello(long generation, JobReport... jobs) {
        return new FromMachine.Hello("s1", "cpu-2", generation, 2, 1, List.of(jobs));
    }

    ObservedJob seen(String jobId) {
        return jobs.observe("s1", jobId);
    }

    void launch(String jobId) {
        jobs.launch(new JobBackend.Launch("s1", jobId, REQUEST, null, false, null));
    }

    static JobSummary summary(String id) {
        return new JobSummary(id, 1, "job", REQUEST, "cpu-2", JobSummary.Status.RUNNING, "Running", "Ada", null, null,
                null, List.of());
    }

    @Test
    void aJobsStartGoesToTheAgentAndWhatTheAgentSaysIsTheObservation() {
        machine.says(hello(1));
        assertThat(seen("j1").where()).as("never launched").isEqualTo(Where.NEW);
        launch("j1");
        assertThat(machine.sent).singleElement().isInstanceOf(ToMachine.JobStart.class);
        assertThat(seen("j1").where()).isEqualTo(Where.LAUNCHING);
        machine.says(new FromMachine.JobPhase("j1", "compiling", "Compiling the workspace"));
        assertThat(seen("j1").where()).isEqualTo(Where.STARTING);
        assertThat(phases).containsExactly("Compiling the workspace");
        machine.says(new FromMachine.Started("j1", 42));
        assertThat(seen("j1").where()).isEqualTo(Where.RUNNING);
        machine.says(new FromMachine.Exit("j1", 1, "rank 1 crashed", null, null));
        assertThat(seen("j1")).isEqualTo(ObservedJob.exited(new ObservedJob.Exit(1, "rank 1 crashed", false),
                Machine.READY));
        assertThat(changed).contains("j1");
    }

    @Test
    void aStartTheMachineCannotTakeIsAnExitWithTheReason() {
        machine.ready = false;
        launch("j1");
        assertThat(seen("j1").exit().reason()).isEqualTo(JobPlanner.WENT_AWAY_BEFORE_START);
    }

    @Test
    void afterARestartTheMachinesHelloSaysWhichJobsRunWhichEndedAndWhichItDoesNotKnow() {
        for (String id : Set.of("running", "ended", "unknown")) {
            jobs.adopt("s1", summary(id), null);
            assertThat(seen(id).where()).isEqualTo(Where.UNKNOWN);
        }
        machine.says(hello(3, new JobReport("running", JobReport.RUNNING, null, null, null),
                new JobReport("ended", JobReport.ENDED, 137, null, null)));
        assertThat(seen("running").where()).isEqualTo(Where.RUNNING);
        assertThat(seen("ended")).isEqualTo(ObservedJob.exited(new ObservedJob.Exit(137, null, false), Machine.READY));
        assertThat(seen("unknown").where()).isEqualTo(Where.MISSING);
        assertThat(machine.sent).as("nothing is started again").isEmpty();
    }

    @Test
    void anAgentThatSaysNothingOfItsJobsKnowsNone() {
        jobs.adopt("s1", summary("j1"), null);
        machine.says(new FromMachine.Hello("s1", "cpu-2", 3, 2, 1));
        assertThat(seen("j1").where()).isEqualTo(Where.MISSING);
    }

    @Test
    void aDroppedConnectionLosesTheJobUntilItsMachineSaysHelloAgain() {
        machine.says(hello(1));
        launch("j1");
        machine.says(new FromMachine.Started("j1", 42));
        machine.ready = false;
        machine.says(new FromMachine.MachineLost(1));
        assertThat(seen("j1")).isEqualTo(ObservedJob.at(Where.LOST, Machine.COMING));
        machine.ready = true;
        machine.says(hello(1, new JobReport("j1", JobReport.RUNNING, null, null, null)));
        assertThat(seen("j1").where()).isEqualTo(Where.RUNNING);
    }

    @Test
    void aJobStoppedByItsMachineGoingAwayIsReadyOnlyForTheNextMachine() {
        machine.says(hello(1));
        launch("j1");
        machine.says(new FromMachine.Started("j1", 42));
        machine.says(new FromMachine.Exit("j1", 143, null, null, true));
        assertThat(seen("j1").machine()).as("the machine that stopped it is still connected").isEqualTo(Machine.COMING);
        machine.says(new FromMachine.MachineLost(1));
        machine.says(hello(2));
        assertThat(seen("j1").machine()).isEqualTo(Machine.READY);
        assertThat(seen("j1").exit().interrupted()).isTrue();
    }
}
