/**
 * Kiln's embedded training runtime (issue 3): a Lightning-style Trainer on libtorch through org.bytedeco:pytorch.
 * Nothing is implemented yet.
 */
package dev.kiln.training;
