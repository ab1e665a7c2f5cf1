package dev.kiln.training;

import java.util.Locale;

/** How to spread training: one device, or DDP. {@code AUTO} picks DDP when more than one process takes part. */
public enum StrategyKind {
    AUTO, SINGLE_DEVICE, DDP;

    public static StrategyKind parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "auto" -> AUTO;
            case "single_device", "single" -> SINGLE_DEVICE;
            case "ddp" -> DDP;
            default -> throw new ConfigurationException("Unknown strategy '" + text + "': use auto, single_device or ddp");
        };
    }
}
