package io.memstream.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The processor's meters, registered once; names are {@code memstream.*}. */
public final class TopologyMetrics {

    private final MeterRegistry registry;
    final Counter duplicates;
    final Counter gaps;
    final Counter undecodable;
    final Counter evictions;
    final Counter resets;
    final Counter continuations;
    final Counter chunksAbsorbed;
    final Counter tokensAbsorbed;
    final Counter tokensGenerated;
    final Counter generateClamped;
    final DistributionSummary batchSize;
    final Timer stepLatency;
    final Timer generateLatency;

    public TopologyMetrics(MeterRegistry registry) {
        this.registry = registry;
        duplicates = Counter.builder("memstream.chunks.duplicates")
                .description("Records dropped because their seq was already absorbed or pending").register(registry);
        gaps = Counter.builder("memstream.chunks.gaps")
                .description("Records whose seq skipped ahead (accepted or rejected per gap.policy)").register(registry);
        undecodable = deadLetters("undecodable");
        evictions = Counter.builder("memstream.memory.evictions")
                .description("Memories deleted after memory.ttl without input").register(registry);
        resets = Counter.builder("memstream.memory.resets")
                .description("Memories written by another model and started afresh").register(registry);
        continuations = Counter.builder("memstream.continuations")
                .description("Continuation records written").register(registry);
        chunksAbsorbed = Counter.builder("memstream.chunks.absorbed")
                .description("Input records whose every token is in their stream's memory").register(registry);
        tokensAbsorbed = Counter.builder("memstream.tokens.absorbed")
                .description("Tokens run through the model into streams' memories").register(registry);
        tokensGenerated = Counter.builder("memstream.tokens.generated")
                .description("Tokens generated for continuations").register(registry);
        generateClamped = Counter.builder("memstream.generate.clamped")
                .description("Generate requests whose maxNewTokens exceeded the model's max_new_tokens (clamped to it)")
                .register(registry);
        batchSize = DistributionSummary.builder("memstream.batch.size")
                .description("Streams per batched model call").register(registry);
        // Histogram buckets, so Prometheus can compute latency percentiles across instances.
        stepLatency = Timer.builder("memstream.model.latency").tag("call", "step").publishPercentileHistogram()
                .description("Wall time of batched model calls").register(registry);
        generateLatency = Timer.builder("memstream.model.latency").tag("call", "generate").publishPercentileHistogram()
                .description("Wall time of batched model calls").register(registry);
    }

    /** Dead letters by reason ({@code undecodable}, {@code oversized}, {@code gap}, ...). */
    Counter deadLetters(String reason) {
        return Counter.builder("memstream.dead.letters").tag("reason", reason)
                .description("Input records sent to the dead-letter topic").register(registry);
    }
}
