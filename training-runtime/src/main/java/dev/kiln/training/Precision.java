package dev.kiln.training;

/**
 * Numeric precision, named as in Lightning. Mixed modes keep fp32 weights and run the forward pass under libtorch's
 * autocast; {@code 16-mixed} adds dynamic loss scaling and needs CUDA.
 */
public enum Precision {
    FP32("32"), BF16_MIXED("bf16-mixed"), FP16_MIXED("16-mixed");

    private final String label;

    Precision(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Precision parse(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        for (Precision p : values()) {
            if (p.label.equals(t)) {
                return p;
            }
        }
        return switch (t) {
            case "32-true", "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16_MIXED;
            case "16", "fp16", "float16" -> FP16_MIXED;
            default -> throw new ConfigurationException("Unknown precision '" + text + "': use 32, bf16-mixed or 16-mixed");
        };
    }
}
