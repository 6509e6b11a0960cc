package io.memstream.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text into pieces of at most a given number of UTF-8 bytes, at whitespace where possible,
 * never inside a character, so every piece is a valid {@code TokenChunk} text and the pieces
 * concatenate back to the original.
 */
public final class TextChunker {
    private TextChunker() {
    }

    public static List<String> split(String text, int maxBytes) {
        if (maxBytes < 4) {
            throw new IllegalArgumentException("maxBytes must be at least 4 (one UTF-8 character), got " + maxBytes);
        }
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            int bytes = 0;
            int lastBreak = -1;
            while (end < text.length()) {
                int codePoint = text.codePointAt(end);
                int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + size > maxBytes) {
                    break;
                }
                bytes += size;
                end += Character.charCount(codePoint);
                if (Character.isWhitespace(codePoint)) {
                    lastBreak = end;
                }
            }
            // Prefer to cut after a space; cut mid-word only when a word alone exceeds the limit.
            int cut = end < text.length() && lastBreak > start ? lastBreak : end;
            pieces.add(text.substring(start, cut));
            start = cut;
        }
        return pieces;
    }
}
