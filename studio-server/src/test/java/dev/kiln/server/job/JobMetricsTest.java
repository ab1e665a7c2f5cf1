package dev.kiln.server.job;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.server.machine.MachineChannel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** What Prometheus scrapes for a machine's health report (GPU entries as the agent's GpuSampler reads them). */
class JobMetricsTest {

    @Test
    void machineAndGpuGaugesCarryStudioAndGpuLabels() {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var metrics = new JobMetrics(registry, new MachineChannel(new AgentRegistry()));
        metrics.machine("s1", (dev.kiln.machine.protocol.FromMachine.Health) dev.kiln.machine.protocol.MachineCodec
                .fromMachine("""
                {"type":"health","cpu":0.25,"cpus":8,"memoryUsed":1073741824,"memoryTotal":8589934592,
                 "time":"2026-12-01T10:00:00Z","load":1.0,"dropped":0,
                 "gpus":[{"index":0,"name":"NVIDIA A100-SXM4-80GB","utilization":0.97,"memoryUsed":74693656576,
                          "memoryTotal":85899345920,"temperature":63.0,"power":341.52},
                         {"index":1,"name":"NVIDIA A100-SXM4-80GB","utilization":0.0,"memoryUsed":4194304,
                          "memoryTotal":85899345920,"temperature":32.0,"power":61.05}]}"""));
        metrics.record("s1", "j1", JsonMapper.shared().readTree("""
                {"type":"kiln.metrics","rank":1,"step":10,"metrics":{"loss":0.5,"samples_per_sec":1200.0,"note":"x"}}"""));

        String scrape = registry.scrape();
        assertThat(scrape).contains("kiln_machine_cpu_utilization{studio=\"s1\"} 0.25");
        assertThat(scrape).contains("kiln_machine_gpu_utilization{gpu=\"0\",model=\"NVIDIA A100-SXM4-80GB\",studio=\"s1\"} 0.97");
        assertThat(scrape).contains("kiln_machine_gpu_power_watts{gpu=\"1\",model=\"NVIDIA A100-SXM4-80GB\",studio=\"s1\"} 61.05");
        assertThat(scrape).contains("kiln_job_metric{job=\"j1\",name=\"loss\",rank=\"1\",studio=\"s1\"} 0.5");
        assertThat(scrape).doesNotContain("name=\"note\"");
    }
}
