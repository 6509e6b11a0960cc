package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class TopologyConfigTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaults() {
        TopologyConfig c = TopologyConfig.defaults();
        assertEquals("memstream.chunks", c.inputTopic());
        assertEquals("memstream.continuations", c.outputTopic());
        assertEquals("memstream.dlq", c.dlqTopic());
        assertEquals(TopologyConfig.GapPolicy.ACCEPT, c.gapPolicy());
        assertEquals(TopologyConfig.FingerprintMismatch.RESET, c.fingerprintMismatch());
        assertTrue(c.batchMaxSize() >= 1);
    }

    @Test
    void parsesEveryKey() {
        TopologyConfig c = TopologyConfig.fromProperties(props("input.topic", "in", "output.topic", "out",
                "dlq.topic", "dead", "batch.max.size", "7", "batch.max.wait.ms", "15", "record.max.bytes", "999",
                "gap.policy", "Reject", "memory.ttl.ms", "0", "fingerprint.mismatch", "fail", "batch.overlap", "false",
                "memory.cache.max.bytes", "0", "state.dtype", "Float16"));
        assertEquals(new TopologyConfig("in", "out", "dead", 7, Duration.ofMillis(15), 999,
                TopologyConfig.GapPolicy.REJECT, Duration.ZERO, TopologyConfig.FingerprintMismatch.FAIL,
                TopologyConfig.StateDtype.FLOAT16, false, false, 0), c);
    }

    @Test
    void badValuesNameTheKey() {
        assertMessage("batch.max.size must be an integer, got 'lots'", "batch.max.size", "lots");
        assertMessage("batch.max.size must be between 1 and 4096, got 0", "batch.max.size", "0");
        assertMessage("gap.policy must be one of accept|reject, got 'skip'", "gap.policy", "skip");
        assertMessage("fingerprint.mismatch must be one of reset|fail, got 'ignore'", "fingerprint.mismatch", "ignore");
        assertMessage("memory.ttl.ms must be between 0 and", "memory.ttl.ms", "-1");
        assertMessage("memory.cache.max.bytes must be between 0 and", "memory.cache.max.bytes", "-1");
        assertMessage("input.topic must differ", "input.topic", "memstream.dlq");
    }

    private static void assertMessage(String expected, String key, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyConfig.fromProperties(props(key, value)));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void streamsPropertiesDefaultToExactlyOnceWithDeadLettersAndLetTheUserWin() {
        TopologyConfig c = TopologyConfig.fromProperties(props("dlq.topic", "dead"));
        Properties p = MemstreamTopology.streamsProperties(c, props("batch.max.size", "4",
                "bootstrap.servers", "b:9092", "commit.interval.ms", "250"));
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("dead", p.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG));
        assertEquals(MemstreamProcessingExceptionHandler.class.getName(),
                p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG));
        assertEquals("b:9092", p.get("bootstrap.servers"));
        assertEquals("250", p.get("commit.interval.ms"));
        assertFalse(p.containsKey("batch.max.size"), "memstream's own keys are not Kafka's");
        Properties alo = MemstreamTopology.streamsProperties(c, props("processing.guarantee", "at_least_once"));
        assertEquals("at_least_once", alo.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        new StreamsConfig(MemstreamTopology.streamsProperties(c, props("bootstrap.servers", "b:9092")));
    }
}
