package dev.kiln.machine.kubernetes;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link KubeApiServer} parameter: one control plane for the whole test run (it takes a few seconds to
 * start), stopped when the run ends. Tests share it, so each uses its own studio ids and cleans up its pods.
 */
public final class RealApiServer implements ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(RealApiServer.class);

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
