package io.memstream.topology;

import io.memstream.cli.Main;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.TokenChunk;
import java.time.Instant;
import java.util.Map;

/**
 * One memstream instance as users run it ({@code memstream run}, through {@link Main}) in a JVM of its
 * own, for the reliability tests to kill, restart and measure. Args: registry scope, input topic,
 * output topic, then {@code run}'s own arguments ({@code -D key=value ...}).
 *
 * <p>The registry is the in-process {@code mock://<scope>}: this JVM registers the TokenChunk then the
 * Continuation schema first, as the test JVM does, so both sides give them the same ids (1 and 2).
 */
public final class InstanceChildMain {

    private InstanceChildMain() { }

    public static void main(String[] args) {
        registerInOrder(new MemstreamSerdes(Map.of("schema.registry.url", "mock://" + args[0])), args[1], args[2]);
        String[] run = new String[args.length - 3];
        System.arraycopy(args, 3, run, 0, run.length);
        Main.main(run);
    }

    /** Registers the input then the output value schema: ids 1 and 2 in a fresh scope. */
    static void registerInOrder(MemstreamSerdes serdes, String input, String output) {
        serdes.chunk().serializer().serialize(input, TokenChunk.newBuilder().setStreamId("x").setSeq(0)
                .setText("x").setProducedAt(Instant.EPOCH).build());
        serdes.continuation().serializer().serialize(output, Continuation.newBuilder().setStreamId("x")
                .setSeq(0).setModelId("x").setFinishReason(FinishReason.NONE).setStats(ChunkStats.newBuilder()
                        .setChunkTokens(0).setBatchSize(0).setInferenceMillis(0).setChunksAbsorbed(0)
                        .setTokensAbsorbed(0).build()).build());
    }
}
