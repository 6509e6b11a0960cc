package io.memstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextChunkerTest {
    @Test
    void cutsAtWhitespaceWithinTheByteLimitAndLosesNothing() {
        String text = "In the beginning God created the heaven and the earth. And the earth was without form.";
        List<String> pieces = TextChunker.split(text, 24);
        assertEquals(text, String.join("", pieces));
        for (String piece : pieces) {
            assertTrue(piece.getBytes(StandardCharsets.UTF_8).length <= 24, piece);
        }
        assertEquals("In the beginning God ", pieces.get(0));
    }

    @Test
    void neverSplitsAMultiByteCharacterAndCutsOverlongWords() {
        String text = "ééééééééé wörter 🙂🙂🙂";
        List<String> pieces = TextChunker.split(text, 5);
        assertEquals(text, String.join("", pieces));
        for (String piece : pieces) {
            byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
            assertTrue(bytes.length <= 5, piece);
            assertEquals(piece, new String(bytes, StandardCharsets.UTF_8), "a whole number of characters");
        }
        assertEquals("éé", pieces.get(0));
    }

    @Test
    void rejectsALimitBelowOneCharacter() {
        assertThrows(IllegalArgumentException.class, () -> TextChunker.split("abc", 3));
        assertEquals(List.of(), TextChunker.split("", 10));
    }
}
