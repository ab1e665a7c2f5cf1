package dev.kiln.machine;

/** What a studio's machine is, as shown to the user. */
public record MachineDescription(String backend, String displayName, int cpus, long memoryBytes, int gpus) {

    /** "Local · 2 CPUs · 23.4 GiB" */
    public String summary() {
        var text = new StringBuilder(displayName).append(" · ").append(cpus).append(cpus == 1 ? " CPU" : " CPUs");
        if (memoryBytes > 0) {
            text.append(" · ").append(String.format(java.util.Locale.ROOT, "%.1f GiB", memoryBytes / (1024.0 * 1024 * 1024)));
        }
        if (gpus > 0) {
            text.append(" · ").append(gpus).append(gpus == 1 ? " GPU" : " GPUs");
        }
        return text.toString();
    }
}
