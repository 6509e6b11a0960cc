package io.memstream.model;

/**
 * A finished continuation: tokens without the stop sequence or end token, their UTF-8 text, and why
 * it ended.
 */
public record Generation(int[] tokens, String text, Finish finish) {

    public enum Finish { LENGTH, STOP, EOS }
}
