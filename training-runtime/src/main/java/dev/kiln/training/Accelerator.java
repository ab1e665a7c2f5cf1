package dev.kiln.training;

import java.util.Locale;

/** Where tensors live. {@code AUTO} takes CUDA when libtorch sees a GPU, otherwise the CPU. */
public enum Accelerator {
    CPU, CUDA, AUTO;

    public static Accelerator parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT).replace("GPU", "CUDA"));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("Unknown accelerator '" + text + "': use cpu, cuda (or gpu) or auto");
        }
    }
}
