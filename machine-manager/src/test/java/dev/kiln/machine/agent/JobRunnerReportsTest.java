package dev.kiln.machine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.machine.protocol.FromMachine.JobReport;

/**
 * What the agent says of its jobs in every hello: a job that ended is reported with its exit, so a server that was
 * away when the exit was sent still hears how it ended; a command that is not a job is not reported.
 */
class JobRunnerReportsTest {
    @TempDir
    Path home;

    @Test
    void aJobThatEndedIsReportedWithItsExitAndACommandIsNot() {
        var outbox = new Outbox(); // never attached: as while the server is down, every message is dropped
        var commands = new CommandRunner(outbox, home);
        var runner = new JobRunner(outbox, home, commands,
                new WorkspaceSync(home, "http://127.0.0.1:9", "s1", "no-token")); // nothing to sync from
        runner.start(new JobRunner.Request("j1", "example.Main", List.of(), 1, 1, Map.of(), false, null));
        commands.start("c1", List.of("true"), null, Map.of());

        await().atMost(Duration.ofSeconds(30)).until(() -> runner.reports().stream()
                .anyMatch(r -> r.id().equals("j1") && JobReport.ENDED.equals(r.state())));
        var report = runner.reports().getFirst();
        assertThat(report.code()).isEqualTo(-1);
        assertThat(report.error()).startsWith("the job could not start");
        assertThat(runner.reports()).extracting(JobReport::id).containsExactly("j1");

        // An ended job started again (a resume) keeps one report.
        runner.start(new JobRunner.Request("j1", "example.Main", List.of(), 1, 1, Map.of(), true, null));
        assertThat(runner.reports()).extracting(JobReport::id).containsExactly("j1");
        // Its second attempt ends too before the test's home goes (it writes there while it tries to sync).
        await().atMost(Duration.ofSeconds(30)).until(() -> JobReport.ENDED.equals(runner.reports().getFirst().state()));
        outbox.close();
    }
}
