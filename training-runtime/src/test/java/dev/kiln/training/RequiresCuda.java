package dev.kiln.training;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A test that needs CUDA GPUs; it is skipped, with the reason, where libtorch sees fewer. */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresCuda.Condition.class)
public @interface RequiresCuda {
    int devices() default 1;

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            int needed = context.getElement().map(e -> e.getAnnotation(RequiresCuda.class))
                    .map(RequiresCuda::devices).orElse(1);
            int visible = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
            return visible >= needed ? ConditionEvaluationResult.enabled(visible + " CUDA device(s)")
                    : ConditionEvaluationResult.disabled("needs " + needed + " CUDA device(s); libtorch sees " + visible
                    + " (a CPU machine, or the CPU build: run with -Pcuda on a GPU machine)");
        }
    }
}
