package dev.kiln.server.job;

import dev.kiln.server.machine.MachineChannel;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Training and machine metrics for Prometheus ({@code /actuator/prometheus}): {@code kiln_job_metric} with studio,
 * job, rank and name labels (every value the training runtime logs), and {@code kiln_machine_*} gauges per studio
 * (CPU, memory, and per-GPU utilization, memory, temperature and power with a gpu label). The series of the most
 * recent {@value #JOBS_KEPT} jobs are kept; older ones are removed so the registry does not grow without end.
 */
@Component
class JobMetrics {
    static final int JOBS_KEPT = 50;

    private final MeterRegistry registry;
    private final Map<String, AtomicReference<Double>> values = new ConcurrentHashMap<>();
    private final Map<String, List<Gauge>> gaugesByJob = new ConcurrentHashMap<>();
    private final Deque<String> jobOrder = new ArrayDeque<>();

    JobMetrics(MeterRegistry registry, MachineChannel machines) {
        this.registry = registry;
        machines.on(dev.kiln.machine.protocol.FromMachine.Health.class, this::machine);
    }

    void record(String studio, String job, JsonNode line) {
        String rank = line.path("rank").asString("0");
        line.path("metrics").properties().forEach(e -> {
            if (e.getValue().isNumber()) {
                set(job, "kiln_job_metric", Tags.of("studio", studio, "job", job, "rank", rank, "name", e.getKey()),
                        e.getValue().asDouble());
            }
        });
    }

    void machine(String studio, dev.kiln.machine.protocol.FromMachine.Health health) {
        var tags = Tags.of("studio", studio);
        set(null, "kiln_machine_cpu_utilization", tags, number(health.cpu()));
        set(null, "kiln_machine_memory_used_bytes", tags, number(health.memoryUsed()));
        set(null, "kiln_machine_memory_total_bytes", tags, number(health.memoryTotal()));
        set(null, "kiln_machine_disk_used_bytes", tags, number(health.diskUsed()));
        for (var gpu : health.gpus()) {
            var gpuTags = tags.and("gpu", String.valueOf(gpu.index()), "model", gpu.name() == null ? "" : gpu.name());
            set(null, "kiln_machine_gpu_utilization", gpuTags, gpu.utilization());
            set(null, "kiln_machine_gpu_memory_used_bytes", gpuTags, gpu.memoryUsed());
            set(null, "kiln_machine_gpu_temperature_celsius", gpuTags, gpu.temperature());
            set(null, "kiln_machine_gpu_power_watts", gpuTags, gpu.power());
        }
    }

    private static double number(Number value) {
        return value == null ? 0 : value.doubleValue();
    }

    private void set(String job, String name, Tags tags, double value) {
        String key = name + tags;
        var holder = values.get(key);
        if (holder == null) {
            holder = new AtomicReference<>(value);
            values.put(key, holder);
            var gauge = Gauge.builder(name, holder, h -> h.get()).tags(tags).register(registry);
            if (job != null) {
                track(job, gauge, key);
            }
        }
        holder.set(value);
    }

    private synchronized void track(String job, Gauge gauge, String key) {
        if (!gaugesByJob.containsKey(job)) {
            jobOrder.addLast(job);
            while (jobOrder.size() > JOBS_KEPT) {
                String old = jobOrder.removeFirst();
                for (Gauge g : gaugesByJob.getOrDefault(old, List.of())) {
                    registry.remove(g);
                    values.keySet().removeIf(k -> k.startsWith(g.getId().getName()) && k.contains(old));
                }
                gaugesByJob.remove(old);
            }
        }
        gaugesByJob.computeIfAbsent(job, j -> new ArrayList<>()).add(gauge);
    }
}
