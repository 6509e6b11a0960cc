package io.memstream.cli;

import io.memstream.client.ChunkProducer;
import io.memstream.client.TextChunker;
import io.memstream.config.MemstreamConfig;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Sends a text file to the input topic as one document stream. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Send a text file (or - for stdin) to the input topic as one document stream of TokenChunks.")
final class ProduceCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "UTF-8 text file, or - for standard input.")
    String file;

    @Option(names = "--stream", required = true, description = "Stream id (the record key).")
    String streamId;

    @Option(names = "--first-seq", defaultValue = "0", description = "seq of the first chunk (default: ${DEFAULT-VALUE}).")
    long firstSeq;

    @Option(names = "--chunk-bytes", defaultValue = "256",
            description = "Most UTF-8 bytes per chunk, cut at whitespace (default: ${DEFAULT-VALUE}).")
    int chunkBytes;

    @Option(names = "--generate", defaultValue = "LAST_CHUNK",
            description = "Which chunks ask for a continuation: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ChunkProducer.GenerateOn generateOn;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--end-of-stream", description = "Mark the last chunk as the end of the stream (memory deleted).")
    boolean endOfStream;

    @Override
    public Integer call() throws Exception {
        MemstreamConfig config = options.loadForClients();
        String text = "-".equals(file) ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : read(file);
        List<TokenChunk> chunks = ChunkProducer.document(streamId, firstSeq, TextChunker.split(text, chunkBytes),
                GenerateRequest.newBuilder().setMaxNewTokens(maxNewTokens).setTemperature(temperature).build(),
                generateOn, endOfStream);
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), config.topology().inputTopic())) {
            producer.sendAll(chunks);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("sent %d chunks of stream %s (seq %d..%d) to %s%n", chunks.size(), streamId, firstSeq,
                firstSeq + chunks.size() - 1, config.topology().inputTopic());
        out.flush();
        return 0;
    }

    private static String read(String file) throws IOException {
        return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    }
}
