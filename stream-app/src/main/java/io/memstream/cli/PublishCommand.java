package io.memstream.cli;

import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.DocumentInputs;
import io.memstream.client.TextChunker;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Publishes documents to the input topic: every file (a directory's files, or standard input) as one
 * stream of {@code TokenChunk}s, cut at whitespace and numbered from {@code --first-seq}, with
 * generate requests on the chunks the user picks. The producer is idempotent, so a retried send
 * never puts a chunk in twice.
 */
@Command(name = "publish", aliases = "produce", mixinStandardHelpOptions = true,
        description = "Publish text files, the files of a directory, or standard input (-) as document streams "
                + "of TokenChunks; each file is one stream, its id the file name without extension or --stream.")
final class PublishCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "INPUT", arity = "1..*",
            description = "UTF-8 text files, directories (every file below, id = path without extension), or - for stdin.")
    List<String> inputs;

    @Option(names = "--stream", paramLabel = "ID",
            description = "Stream id (the record key) of a single input; required for stdin.")
    String streamId;

    @Option(names = "--first-seq", defaultValue = "0", description = "seq of each stream's first chunk (default: ${DEFAULT-VALUE}).")
    long firstSeq;

    @Option(names = "--chunk-bytes", defaultValue = "256",
            description = "Most UTF-8 bytes per chunk, cut at whitespace (default: ${DEFAULT-VALUE}).")
    int chunkBytes;

    @Option(names = "--generate-every", paramLabel = "N", defaultValue = "0",
            description = "Ask for a continuation after every N-th chunk (0: none; default: ${DEFAULT-VALUE}).")
    int generateEvery;

    @Option(names = "--generate-last", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Ask for a continuation after each stream's last chunk (default: ${DEFAULT-VALUE}).")
    boolean generateLast;

    @Option(names = "--generate", hidden = true,
            description = "Older form: NONE, LAST_CHUNK or EVERY_CHUNK (overrides --generate-every/--generate-last).")
    ChunkProducer.GenerateOn generateOn;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample from the k likeliest tokens (0: all; default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", description = "Sampling seed (default: derived from stream id and seq).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop generating at this text (repeatable).")
    List<String> stopSequences = new ArrayList<>();

    @Option(names = "--end-of-stream", description = "Mark each stream's last chunk as its end (its memory is deleted).")
    boolean endOfStream;

    @Option(names = "--progress", defaultValue = "AUTO",
            description = "${COMPLETION-CANDIDATES}: a bar on a terminal, plain lines otherwise (default: ${DEFAULT-VALUE}).")
    PublishProgress.Mode progress;

    @Override
    public Integer call() throws Exception {
        if (chunkBytes < 4) {
            throw new ParameterException(spec.commandLine(), "--chunk-bytes must be at least 4, got " + chunkBytes);
        }
        if (generateEvery < 0) {
            throw new ParameterException(spec.commandLine(), "--generate-every must be 0 or more, got " + generateEvery);
        }
        List<DocumentInputs.Document> documents;
        try {
            documents = DocumentInputs.read(inputs, streamId, System.in);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        MemstreamConfig config = options.loadForClients();
        String topic = config.topology().inputTopic();
        ChunkProducer.ChunkSelector generateOn = this.generateOn != null ? this.generateOn
                : ChunkProducer.ChunkSelector.every(generateEvery, generateLast);
        List<List<TokenChunk>> streams = new ArrayList<>();
        long totalBytes = 0;
        long totalChunks = 0;
        for (DocumentInputs.Document document : documents) {
            List<TokenChunk> chunks = ChunkProducer.document(document.streamId(), firstSeq,
                    TextChunker.split(document.text(), chunkBytes), generateRequest(), generateOn, endOfStream);
            streams.add(chunks);
            totalChunks += chunks.size();
            totalBytes += chunks.stream().mapToLong(PublishCommand::textBytes).sum();
        }
        PrintWriter out = spec.commandLine().getOut();
        awaitServing(config.registryConfigs(), topic);
        PublishProgress shown = PublishProgress.create(progress, out, spec.commandLine().getErr(), totalBytes, totalChunks);
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), topic)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (TokenChunk chunk : interleaved(streams)) {
                long bytes = textBytes(chunk);
                acks.add(producer.send(chunk, (metadata, error) -> {
                    if (error == null) {
                        shown.acknowledged(bytes);
                    }
                }));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                try {
                    ack.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("the broker refused a chunk: " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
        for (List<TokenChunk> chunks : streams) {
            if (!chunks.isEmpty()) {
                out.printf("sent %d chunks of stream %s (seq %d..%d) to %s%n", chunks.size(),
                        chunks.get(0).getStreamId(), firstSeq, firstSeq + chunks.size() - 1, topic);
            }
        }
        out.printf("published %d chunks of %d streams (%s) in %.1f s%n", totalChunks, streams.size(),
                PublishProgress.size(totalBytes), shown.seconds());
        out.flush();
        return 0;
    }

    /**
     * Returns once every partition of {@code topic}, if it exists, has a leader that serves it: an
     * idempotent producer writing to a topic created moments before could otherwise have its first
     * batch refused and the batches after it failed as out of order (KAFKA-15591; TopicCreation).
     */
    private static void awaitServing(Map<String, Object> clientConfigs, String topic) throws Exception {
        try (Admin admin = Admin.create(ClientConfigs.admin(clientConfigs))) {
            TopicCreation.awaitServingIfExists(admin, topic);
        }
    }

    private GenerateRequest generateRequest() {
        return GenerateRequest.newBuilder().setMaxNewTokens(maxNewTokens).setTemperature(temperature).setTopK(topK)
                .setTopP(topP).setSeed(seed).setStopSequences(List.copyOf(stopSequences)).build();
    }

    /** Round-robin over the streams, so the processor finds chunks of many streams to batch together. */
    static List<TokenChunk> interleaved(List<List<TokenChunk>> streams) {
        List<TokenChunk> out = new ArrayList<>();
        int longest = streams.stream().mapToInt(List::size).max().orElse(0);
        for (int i = 0; i < longest; i++) {
            for (List<TokenChunk> stream : streams) {
                if (i < stream.size()) {
                    out.add(stream.get(i));
                }
            }
        }
        return out;
    }

    private static long textBytes(TokenChunk chunk) {
        return chunk.getText() == null ? 0 : chunk.getText().toString().getBytes(StandardCharsets.UTF_8).length;
    }
}
