package io.memstream.model;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The manifest's {@code byte} tokenizer: a token id is a UTF-8 byte (0..255), ids from 256 on are
 * specials. Stateless and thread-safe.
 */
public final class ByteTokenizer {

    private final ModelManifest.TokenizerSpec spec;

    public ByteTokenizer(ModelManifest.TokenizerSpec spec) {
        this.spec = spec;
    }

    /** Tokens of a record's text; {@code streamStart} puts the BOS id first when the model asks for it. */
    public int[] encode(String text, boolean streamStart) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        boolean bos = streamStart && spec.bosAtStreamStart();
        int[] ids = new int[bytes.length + (bos ? 1 : 0)];
        int i = 0;
        if (bos) {
            ids[i++] = spec.bos();
        }
        for (byte b : bytes) {
            ids[i++] = b & 0xff;
        }
        return ids;
    }

    /** Tokens given as ids by the producer, with BOS put first at stream start. */
    public int[] withStreamStart(int[] ids, boolean streamStart) {
        if (!(streamStart && spec.bosAtStreamStart())) {
            return ids;
        }
        int[] out = new int[ids.length + 1];
        out[0] = spec.bos();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** The bytes of the byte tokens, specials dropped. */
    public byte[] bytes(int[] ids, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            if (isByte(ids[i])) {
                out.write(ids[i]);
            }
        }
        return out.toByteArray();
    }

    /** UTF-8 text of the byte tokens; specials are dropped and invalid sequences replaced by U+FFFD. */
    public String decode(int[] ids) {
        return decodeBytes(bytes(ids, 0, ids.length));
    }

    public static String decodeBytes(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder does not throw", e);
        }
    }

    public static boolean isByte(int id) {
        return id >= 0 && id < 256;
    }

    public boolean inVocab(int id) {
        return id >= 0 && id < spec.vocabSize();
    }

    public int vocabSize() {
        return spec.vocabSize();
    }

    public int pad() {
        return spec.pad();
    }

    public int eos() {
        return spec.eos();
    }
}
