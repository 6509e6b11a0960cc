package io.memstream.demo;

import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import java.util.Locale;

/** One readable line per continuation: stream, seq, the model's surprise, and what it generated. */
public final class ContinuationFormatter {
    private static final int MAX_SHOWN = 120;
    private static final int CHUNK_TAIL = 40;

    private ContinuationFormatter() {
    }

    public static String format(Continuation c) {
        return format(c, null);
    }

    /**
     * As {@link #format(Continuation)}, with the end of the chunk the continuation follows (when the
     * caller knows it), so a reader can judge whether the continuation fits.
     */
    public static String format(Continuation c, String chunkText) {
        String bits = c.getBitsPerByte() == null ? "   n/a" : String.format(Locale.ROOT, "%6.3f", c.getBitsPerByte());
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-10s seq %3d  %s bits/byte  %5.1f ms",
                c.getStreamId(), c.getSeq(), bits, c.getStats().getInferenceMillis()));
        if (c.getFinishReason() != FinishReason.NONE) {
            if (chunkText != null) {
                line.append("  \"...").append(printable(tail(chunkText))).append('"');
            }
            line.append("  -> \"").append(printable(c.getText())).append("\" [")
                    .append(c.getFinishReason().name().toLowerCase(Locale.ROOT)).append(']');
        }
        return line.toString();
    }

    /** The last words of a chunk, at most {@value #CHUNK_TAIL} characters. */
    static String tail(String text) {
        String trimmed = text.strip();
        if (trimmed.length() <= CHUNK_TAIL) {
            return trimmed;
        }
        String end = trimmed.substring(trimmed.length() - CHUNK_TAIL);
        int space = end.indexOf(' ');
        return space >= 0 && space < end.length() - 1 ? end.substring(space + 1) : end;
    }

    /** Control characters would break the one-line layout: show them escaped; cut long texts. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(MAX_SHOWN).forEach(cp -> {
            switch (cp) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                default -> {
                    if (Character.isISOControl(cp) || cp == 0xFFFD) {
                        out.append('\u00b7');
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        });
        if (text.codePointCount(0, text.length()) > MAX_SHOWN) {
            out.append("...");
        }
        return out.toString();
    }
}
