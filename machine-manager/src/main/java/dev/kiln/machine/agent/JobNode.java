package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One node of a multi-node job on Kubernetes (a pod of its Indexed Job): syncs the studio's workspace, compiles it,
 * and runs {@code kiln-train launch} for this node, wired to rank 0's pod through the job's headless Service. Output
 * goes to the pod's log, which the server streams; the exit code is the node's. Configured by the environment the
 * job's pod template sets (see TrainingJobFactory).
 */
public final class JobNode {
    private JobNode() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(System.getenv()));
    }

    static int run(Map<String, String> env) throws Exception {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        var sync = new WorkspaceSync(home, env.get("KILN_SERVER_URL"), env.get("KILN_STUDIO_ID"),
                AgentToken.read(env, System.in));
        var runner = new JobRunner(null, home, null, sync);
        String id = env.get("KILN_JOB_ID");
        List<String> jobArgs = env.getOrDefault("KILN_JOB_ARGS", "").isBlank() ? List.of()
                : Arrays.asList(env.get("KILN_JOB_ARGS").split("\n"));
        var request = new JobRunner.Request(id, env.get("KILN_JOB_ENTRY"), jobArgs,
                Integer.parseInt(env.getOrDefault("NNODES", "1")), Integer.parseInt(env.getOrDefault("NPROC_PER_NODE", "1")),
                Map.of("KILN_STUDIO_ID", env.getOrDefault("KILN_STUDIO_ID", "")), false, null);
        int[] failed = {0};
        var reporter = new JobRunner.Reporter() {
            @Override
            public void phase(String job, String phase, String detail) {
                System.out.println("kiln: " + detail);
            }

            @Override
            public void diagnostics(String job, List<FromMachine.Diagnostic> items) {
                items.forEach(d -> System.out.println(d.path() + ":" + d.line() + ":" + d.column() + ": "
                        + d.severity() + ": " + d.message()));
            }

            @Override
            public void failed(String job, String reason) {
                System.out.println("kiln: " + reason);
                failed[0] = 2;
            }
        };
        var launch = runner.prepare(request, reporter, Integer.parseInt(env.getOrDefault("NODE_RANK", "0")),
                request.nodes(), env.getOrDefault("MASTER_ADDR", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("MASTER_PORT", "29500")));
        if (launch == null) {
            return failed[0];
        }
        var builder = new ProcessBuilder(launch.command()).inheritIO()
                .directory(home.resolve(WorkspaceSync.DIRECTORY).toFile());
        builder.environment().putAll(launch.env());
        Process process = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        return process.waitFor();
    }
}
