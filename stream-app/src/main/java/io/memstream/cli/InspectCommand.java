package io.memstream.cli;

import io.memstream.config.MemstreamConfig;
import io.memstream.query.StreamSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Shows what memstream holds for one stream. Asks any running instance's {@code /streams/{id}}; that
 * instance answers from its own store or from the owner's, so the caller need not know who owns it.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what memstream holds for a stream (last seq, chunks, tokens, updated at, model, "
                + "state size), asking a running instance, which fetches it from the instance that owns the stream.")
final class InspectCommand implements Callable<Integer> {
    /** Exit code when no instance holds a memory for the stream. */
    static final int NOT_FOUND = 1;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "STREAM_ID", description = "The stream id (the record key).")
    String streamId;

    @Option(names = "--url", paramLabel = "URL",
            description = "Any memstream instance's HTTP address (default: http://<http.host>:<http.port> "
                    + "of the configuration, a wildcard host read as 127.0.0.1).")
    String url;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String base = url != null ? url : defaultUrl(options.loadForClients());
        URI uri = URI.create(base.replaceAll("/+$", "") + "/streams/"
                + URLEncoder.encode(streamId, StandardCharsets.UTF_8).replace("+", "%20"));
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            err.println("memstream inspect: no memstream instance answers at " + base + " (" + e + "); "
                    + "is `memstream run` up, and is its http.port the one asked?");
            return Main.CONFIG_ERROR;
        }
        if (response.statusCode() == 404) {
            err.println("memstream inspect: no memory for stream '" + streamId + "' (never seen, ended, or evicted)");
            return NOT_FOUND;
        }
        if (response.statusCode() != 200) {
            err.println("memstream inspect: " + uri + " answered " + response.statusCode() + ": " + response.body().strip());
            return Main.CONFIG_ERROR;
        }
        if (json) {
            out.println(response.body().strip());
        } else {
            out.print(describe(StreamSummary.fromJson(response.body())));
        }
        out.flush();
        return 0;
    }

    static String defaultUrl(MemstreamConfig config) {
        String host = config.httpHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + config.httpPort();
    }

    static String describe(StreamSummary s) {
        return String.format(Locale.ROOT, """
                stream       %s
                last seq     %d
                chunks       %d
                tokens       %d
                updated at   %s
                model        %s%s
                state size   %d bytes%s
                owner        %s (input partition %d)
                """, s.streamId(), s.lastSeq(), s.chunksAbsorbed(), s.tokensAbsorbed(), s.updatedAt(), s.modelId(),
                s.modelMatches() ? "" : " (memory written by another model, " + s.modelFingerprint()
                        + ": reset on the next chunk)", s.stateBytes(),
                s.stateDtype() == null ? "" : " (" + s.stateDtype() + ")", // null from an older owner
                s.servedBy(), s.partition());
    }
}
