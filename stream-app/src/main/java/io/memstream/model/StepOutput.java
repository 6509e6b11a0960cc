package io.memstream.model;

/**
 * Result of one batched {@code step}: per row, the bits the model spent on the chunk's tokens and
 * the next state ({@code nextState[row][stateIndex]}, per-stream values in manifest order).
 */
public record StepOutput(double[] bits, float[][][] nextState) { }
