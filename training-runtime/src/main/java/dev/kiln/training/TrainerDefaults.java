package dev.kiln.training;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Trainer options a module is meant to run with when its job does not say otherwise, as LightningCLI's
 * {@code trainer_defaults}: {@code @TrainerDefaults({"max-epochs=5"})}. {@code kiln-train fit} applies them before the
 * {@code --trainer.NAME=VALUE} options of the command line, which win. Read from the class before it is instantiated,
 * so the seed still comes first.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface TrainerDefaults {
    /** {@code NAME=VALUE} pairs with the names of {@code --trainer.NAME} (for example {@code max-epochs=5}). */
    String[] value();
}
