package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.EarlyStopping;
import dev.kiln.training.callbacks.LearningRateMonitor;
import dev.kiln.training.callbacks.MetricsEmitter;
import dev.kiln.training.callbacks.ModelCheckpoint;
import dev.kiln.training.callbacks.ProgressBar;

class CallbackListTest {
    private static final Set<String> STATE = Set.of("stateKey", "stateDict", "loadStateDict");

    /** A hook added to Callback but not forwarded here would silently never be called. */
    @Test
    void everyHookIsForwarded() throws Exception {
        for (Method hook : Callback.class.getMethods()) {
            if (STATE.contains(hook.getName())) {
                continue;
            }
            Method forwarded = CallbackList.class.getMethod(hook.getName(), hook.getParameterTypes());
            assertThat(forwarded.getDeclaringClass()).as(hook.getName()).isEqualTo(CallbackList.class);
        }
    }

    private static List<Class<?>> defaults(TrainerConfig.Builder builder) {
        try (Trainer trainer = builder.metricsChannel("stderr").verbose(false).build();
             var list = CallbackList.withDefaults(trainer.config())) {
            return list.asList().stream().<Class<?>>map(Object::getClass).toList();
        }
    }

    @Test
    void defaultsAroundTheUsersCallbacksWithTheEmitterLast() {
        assertThat(defaults(Trainer.builder().progressBar(false)))
                .containsExactly(ModelCheckpoint.class, LearningRateMonitor.class, MetricsEmitter.class);
        assertThat(defaults(Trainer.builder().progressBar(true).callbacks(new EarlyStopping("val_loss", 2))))
                .containsExactly(ModelCheckpoint.class, LearningRateMonitor.class, ProgressBar.class,
                        EarlyStopping.class, MetricsEmitter.class);
    }

    @Test
    void noDefaultCheckpointWhenOneIsGivenWhenOffOrInAFastDevRun() {
        var own = ModelCheckpoint.builder().saveTopK(3).build();
        assertThat(defaults(Trainer.builder().progressBar(false).callbacks(own)))
                .containsExactly(LearningRateMonitor.class, ModelCheckpoint.class, MetricsEmitter.class);
        assertThat(defaults(Trainer.builder().progressBar(false).checkpointing(false))).doesNotContain(ModelCheckpoint.class);
        assertThat(defaults(Trainer.builder().progressBar(false).fastDevRun(true))).doesNotContain(ModelCheckpoint.class);
    }

    @Test
    void callbacksAddedLaterGoBeforeTheEmitter() {
        try (Trainer trainer = Trainer.builder().progressBar(false).metricsChannel("stderr").verbose(false).build()) {
            Callback late = new Callback() {};
            trainer.addCallbacks(List.of(late));
            assertThat(trainer.callbacks()).hasSize(4);
            assertThat(trainer.callbacks().get(2)).isSameAs(late);
            assertThat(trainer.callbacks().getLast()).isInstanceOf(MetricsEmitter.class);
        }
    }
}
