/**
 * Kiln's embedded training runtime: a Lightning-style {@link dev.kiln.training.Trainer} on libtorch through
 * org.bytedeco:pytorch. Users subclass {@link dev.kiln.training.TrainingModule} (a libtorch {@code Module} with a
 * training step and its optimizers) and {@link dev.kiln.training.data.DataModule}; the Trainer runs them on CPU or
 * CUDA, in one process or as DDP over c10d, with safetensors checkpoints and JSON-lines metrics.
 */
package dev.kiln.training;
