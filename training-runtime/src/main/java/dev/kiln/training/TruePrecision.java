package dev.kiln.training;

/** {@code 32}: everything in fp32, no autocast, nothing to scale. */
record TruePrecision(GradientClipping clipping) implements PrecisionPlugin {
    private static final ForwardContext NONE = () -> {};

    @Override
    public ForwardContext forwardContext() {
        return NONE;
    }
}
