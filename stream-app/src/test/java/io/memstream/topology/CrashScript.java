package io.memstream.topology;

import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.ReliabilityCrashTest.Sent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The crash test's input: the good chunks it expects a continuation for, the bad records it expects
 * as dead letters, and all of them in the order they are produced.
 */
record CrashScript(List<Sent> good, List<Sent> bad, List<Sent> all, int generationRequests) {

    static String stream(int s) {
        return "crash-" + s;
    }

    /**
     * {@code streams} streams x {@code chunks} chunks of a few words each, round by round (seq), every third
     * asking for a generation (greedy on even streams, sampled on odd ones), with the bad records spread
     * among them, one or two per round.
     */
    static CrashScript write(MemstreamSerdes serdes, String input, String output, int streams, int chunks) {
        List<Sent> good = new ArrayList<>();
        List<Sent> bad = new ArrayList<>();
        int generationRequests = 0;
        String[] words = {"ash ", "birch ", "cedar ", "dune ", "ember ", "fjord ", "grove ", "heath ", "isle "};
        List<Sent> badQueue = badRecords(serdes, input, output);
        List<Sent> all = new ArrayList<>();
        for (int seq = 0; seq < chunks; seq++) {
            for (int s = 0; s < streams; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 3 + (s * 7 + seq * 3) % 9; w++) {
                    text.append(words[(s + seq * 5 + w) % words.length]);
                }
                TokenChunk c = TokenChunk.newBuilder().setStreamId(stream(s)).setSeq(seq).setText(text.toString())
                        .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build();
                if ((s + seq) % 3 == 0) {
                    c.setGenerate(GenerateRequest.newBuilder().setMaxNewTokens(8)
                            .setTemperature(s % 2 == 0 ? 0f : 0.8f).setTopP(0.95f).build());
                    generationRequests++;
                }
                Sent sent = new Sent(stream(s), serdes.chunk().serializer().serialize(input, c));
                good.add(sent);
                all.add(sent);
            }
            // one or two bad records per round, until all were sent
            for (int b = 0; b < 2 && !badQueue.isEmpty(); b++) {
                Sent sent = badQueue.remove(0);
                bad.add(sent);
                all.add(sent);
            }
        }
        bad.addAll(badQueue);
        all.addAll(badQueue);
        return new CrashScript(good, bad, all, generationRequests);
    }

    /** One record of each kind that must end as a dead letter, several on the good streams' keys. */
    private static List<Sent> badRecords(MemstreamSerdes serdes, String input, String output) {
        List<Sent> out = new ArrayList<>();
        TokenChunk base = TokenChunk.newBuilder().setStreamId(stream(1)).setSeq(2).setText("a bad one")
                .setProducedAt(Instant.EPOCH).build();
        out.add(new Sent(stream(1), "not avro at all".getBytes(StandardCharsets.UTF_8)));
        byte[] magic = serdes.chunk().serializer().serialize(input, base);
        magic[0] = 0x03;
        out.add(new Sent(stream(1), magic));
        byte[] unknown = serdes.chunk().serializer().serialize(input, base);
        ByteBuffer.wrap(unknown, 1, 4).putInt(4242);
        out.add(new Sent(stream(2), unknown));
        byte[] whole = serdes.chunk().serializer().serialize(input, base);
        out.add(new Sent(stream(2), Arrays.copyOf(whole, whole.length - 4)));
        Continuation other = Continuation.newBuilder().setStreamId(stream(3)).setSeq(0).setModelId("m")
                .setFinishReason(FinishReason.NONE).setStats(ChunkStats.newBuilder().setChunkTokens(1).setBatchSize(1)
                        .setInferenceMillis(0).setChunksAbsorbed(1).setTokensAbsorbed(1).build()).build();
        out.add(new Sent(stream(3), serdes.continuation().serializer().serialize(output, other)));
        byte[] utf8 = serdes.chunk().serializer().serialize(input, TokenChunk.newBuilder(base).setText("xx@@yy").build());
        for (int i = 0; i + 1 < utf8.length; i++) {
            if (utf8[i] == '@' && utf8[i + 1] == '@') {
                utf8[i] = (byte) 0xc3;
                utf8[i + 1] = 0x28;
                break;
            }
        }
        out.add(new Sent(stream(1), utf8));
        out.add(new Sent(stream(4), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(4)).setSeq(-3).build())));
        out.add(new Sent(stream(5), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(5)).setTokens(List.of(1, 2)).build())));
        out.add(new Sent(stream(6), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(6)).setText(null).setTokens(List.of(65, 100_000)).build())));
        out.add(new Sent(stream(7), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(7)).setGenerate(GenerateRequest.newBuilder()
                        .setMaxNewTokens(4).setTemperature(-1f).build()).build())));
        out.add(new Sent(stream(8), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(8)).setText("").build())));
        out.add(new Sent("not-" + stream(9), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(9)).build())));
        String longId = "L".repeat(300);
        out.add(new Sent(longId, serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(longId).build())));
        out.add(new Sent(null, serdes.chunk().serializer().serialize(input, base)));
        return out;
    }
}
