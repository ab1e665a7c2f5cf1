package dev.kiln.ui.machine;

import dev.kiln.api.machine.MachineState;

import java.util.Locale;

/** A machine type's size in words: "2 cores · 8 GiB memory · 1 × A100", from the catalog's Kubernetes quantities. */
final class MachineSizes {
    private MachineSizes() {}

    static String describe(MachineState.Option option) {
        var text = new StringBuilder();
        if (option.cpu() != null) {
            text.append(cores(option.cpu()));
        }
        if (option.memory() != null) {
            text.append(text.isEmpty() ? "" : " · ").append(memory(option.memory())).append(" memory");
        }
        text.append(text.isEmpty() ? "" : " · ").append(option.gpus() == 0 ? "no GPU"
                : option.gpus() + " × " + (option.gpuModel() == null || option.gpuModel().equals("local") ? "GPU"
                : option.gpuModel() + " GPU"));
        return text.toString();
    }

    /** "1" → "1 core", "4" → "4 cores", "500m" → "0.5 core". */
    static String cores(String quantity) {
        double value = quantity.endsWith("m") ? Double.parseDouble(quantity.substring(0, quantity.length() - 1)) / 1000
                : Double.parseDouble(quantity);
        String number = value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.1f", value);
        return number + (value > 1 ? " cores" : " core");
    }

    /** "16Gi" → "16 GiB", "512Mi" → "512 MiB", "2G" → "2 GB"; anything else as it is. */
    static String memory(String quantity) {
        for (String[] unit : new String[][] {{"Ki", " KiB"}, {"Mi", " MiB"}, {"Gi", " GiB"}, {"Ti", " TiB"},
                {"K", " kB"}, {"M", " MB"}, {"G", " GB"}, {"T", " TB"}}) {
            if (quantity.endsWith(unit[0])) {
                return quantity.substring(0, quantity.length() - unit[0].length()) + unit[1];
            }
        }
        return quantity.matches("\\d+") ? (Long.parseLong(quantity) >> 20) + " MiB" : quantity;
    }

    /** "$0.10 / hour", or empty when the catalog has no price. */
    static String price(Double pricePerHour) {
        return pricePerHour == null ? "" : String.format(Locale.ROOT, "$%.2f / hour", pricePerHour);
    }
}
