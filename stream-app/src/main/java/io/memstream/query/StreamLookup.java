package io.memstream.query;

/**
 * The answer to "what do you hold for this stream", as an HTTP status and a JSON body: 200 with a
 * {@link StreamSummary}, 404 when no instance holds a memory for the stream, 503 while the owner is
 * unknown (rebalancing, restoring) or unreachable, so a caller may retry.
 */
public record StreamLookup(int status, String json) {

    static StreamLookup found(StreamSummary summary) {
        return new StreamLookup(200, summary.toJson());
    }

    static StreamLookup notFound(String streamId, String servedBy) {
        return error(404, "no memory for stream '" + streamId + "' (never seen, ended, or evicted)", servedBy);
    }

    static StreamLookup unavailable(String reason, String servedBy) {
        return error(503, reason, servedBy);
    }

    private static StreamLookup error(int status, String message, String servedBy) {
        return new StreamLookup(status, "{\"error\":" + jsonString(message) + ",\"servedBy\":" + jsonString(servedBy) + "}");
    }

    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
