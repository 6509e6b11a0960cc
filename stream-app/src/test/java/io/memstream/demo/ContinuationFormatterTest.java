package io.memstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import org.junit.jupiter.api.Test;

class ContinuationFormatterTest {
    private static Continuation continuation(String text, FinishReason reason, Double bits) {
        return Continuation.newBuilder().setStreamId("doc-7").setSeq(12).setText(text).setFinishReason(reason)
                .setModelId("m").setBitsPerByte(bits).setStats(ChunkStats.newBuilder().setChunkTokens(1)
                        .setBatchSize(1).setInferenceMillis(2.25).setChunksAbsorbed(13).setTokensAbsorbed(99).build())
                .build();
    }

    @Test
    void showsSurpriseAndTheGeneratedTextOnOneLine() {
        assertEquals("doc-7      seq  12   1.500 bits/byte    2.3 ms  -> \"And God said,\\n\\\"Let\\\"\\t\u00b7\" [eos]",
                ContinuationFormatter.format(continuation("And God said,\n\"Let\"\t\u0001", FinishReason.EOS, 1.5)));
    }

    @Test
    void withoutGenerationOnlyTheSurprise() {
        assertEquals("doc-7      seq  12     n/a bits/byte    2.3 ms",
                ContinuationFormatter.format(continuation("", FinishReason.NONE, null)));
    }

    @Test
    void cutsLongTexts() {
        String shown = ContinuationFormatter.printable("x".repeat(500));
        assertEquals("x".repeat(120) + "...", shown);
    }

    @Test
    void showsTheEndOfTheChunkBeforeItsContinuation() {
        String chunk = "In the beginning God created the heaven and the earth. And the earth was without form, and void;";
        assertEquals("doc-7      seq  12   1.500 bits/byte    2.3 ms  \"...the earth was without form, and void;\"  -> "
                + "\" and darkness\" [length]",
                ContinuationFormatter.format(continuation(" and darkness", FinishReason.LENGTH, 1.5), chunk));
        assertEquals("short", ContinuationFormatter.tail("  short \n"));
    }
}
