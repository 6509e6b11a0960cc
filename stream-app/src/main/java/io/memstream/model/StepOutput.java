package io.memstream.model;

/**
 * Result of one batched {@code step}: per row, the bits the model spent on the chunk's tokens and
 * the next state ({@code nextState[row][stateIndex]}, per-stream values in manifest order), and the
 * milliseconds the model worked on it ({@code NaN} where the caller times the call itself). A split
 * step's time runs from its first piece's start to its last piece's end: it leaves out the time the
 * step waited for the parts behind an earlier one.
 */
public record StepOutput(double[] bits, float[][][] nextState, double millis) {

    public StepOutput(double[] bits, float[][][] nextState) {
        this(bits, nextState, Double.NaN);
    }
}
