package dev.kiln.machine.kubernetes;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link KubeApiServer} parameter: one control plane for the whole test run (it takes a few seconds to
 * start), stopped when the run ends. Tests share it, so each uses its own studio ids and cleans up its pods.
 * Without the binaries the whole class is skipped with the reason (failed under CI), before anything else starts.
 */
public final class RealApiServer implements ExecutionCondition, ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(RealApiServer.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String missing = KubeApiServer.missing();
        // Under CI the tests run and fail on the missing binaries, with the same reason.
        return missing == null || "true".equals(System.getenv("CI")) ? ConditionEvaluationResult.enabled("found")
                : ConditionEvaluationResult.disabled(missing);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KubeApiServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(STORE).computeIfAbsent(KubeApiServer.class, k -> KubeApiServer.start(),
                KubeApiServer.class);
    }
}
