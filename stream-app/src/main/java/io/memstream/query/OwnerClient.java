package io.memstream.query;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks the instance that owns a stream for its summary, over the same HTTP API
 * ({@code GET http://<application.server>/streams/{id}?forwarded=true}). The flag stops a request
 * from bouncing between instances whose views of the assignment differ for a moment.
 */
final class OwnerClient {
    static final String FORWARDED = "forwarded=true";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    StreamLookup get(HostInfo owner, String streamId) throws IOException, InterruptedException {
        URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + "/streams/"
                + URLEncoder.encode(streamId, StandardCharsets.UTF_8).replace("+", "%20") + "?" + FORWARDED);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        return new StreamLookup(response.statusCode(), response.body().strip());
    }
}
