package io.memstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A continuation as one line of JSON for scripts ({@code follow --json}): every field of the record,
 * named as in the Avro schema, plus where it sits in the topic.
 */
final class ContinuationJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContinuationJson() {
    }

    static String format(ConsumerRecord<String, Continuation> record) {
        Continuation c = record.value();
        ObjectNode line = JSON.createObjectNode();
        line.put("streamId", c.getStreamId().toString());
        line.put("seq", c.getSeq());
        line.put("text", c.getText().toString());
        ArrayNode tokens = line.putArray("tokens");
        c.getTokens().forEach(tokens::add);
        line.put("finishReason", c.getFinishReason().name());
        line.put("modelId", c.getModelId().toString());
        if (c.getBitsPerByte() == null) {
            line.putNull("bitsPerByte");
        } else {
            line.put("bitsPerByte", c.getBitsPerByte());
        }
        ChunkStats s = c.getStats();
        ObjectNode stats = line.putObject("stats");
        stats.put("chunkTokens", s.getChunkTokens());
        stats.put("modelChunks", s.getModelChunks());
        stats.put("batchSize", s.getBatchSize());
        stats.put("inferenceMillis", s.getInferenceMillis());
        stats.put("chunksAbsorbed", s.getChunksAbsorbed());
        stats.put("tokensAbsorbed", s.getTokensAbsorbed());
        line.put("partition", record.partition());
        line.put("offset", record.offset());
        line.put("timestamp", record.timestamp());
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a continuation as JSON", e);
        }
    }
}
