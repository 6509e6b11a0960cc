package io.memstream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.memstream.model.OrtTuning;
import io.memstream.model.TestModels;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** model.ort.optimization and model.ort.spinning: defaults, parsing, errors naming the key. */
class OrtTuningConfigTest {

    private static MemstreamConfig load(Map<String, String> overrides) {
        Map<String, String> all = new java.util.HashMap<>(overrides);
        all.put(MemstreamConfig.MODEL_DIR, TestModels.tiny().toString());
        return MemstreamConfig.load(Optional.empty(), Map.of(), all);
    }

    /** Each bad value fails with a message naming the key; a good one stays out of Kafka's configs. */
    private static void assertRejectedAndKeptOutOfKafka(String key, String message, String good, String... bad) {
        for (String value : bad) {
            MemstreamConfigException e = assertThrows(MemstreamConfigException.class, () -> load(Map.of(key, value)));
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
        assertTrue(!load(Map.of(key, good)).streamsProperties().containsKey(key), "a memstream key, kept out of Kafka's configs");
    }

    @Test
    void defaultIsTheMeasuredChoice() {
        assertEquals(OrtTuning.DEFAULT, load(Map.of()).ortTuning());
        assertEquals(new OrtTuning(OptLevel.ALL_OPT, false), OrtTuning.DEFAULT);
    }

    @Test
    void parsesBothKeys() {
        assertEquals(new OrtTuning(OptLevel.BASIC_OPT, true),
                load(Map.of("model.ort.optimization", "basic", "model.ort.spinning", "TRUE")).ortTuning());
        assertEquals(OptLevel.EXTENDED_OPT, load(Map.of("model.ort.optimization", "EXTENDED_OPT")).ortTuning().optimization());
    }

    @Test
    void stepShardsAreAutoByDefaultANumberOrAnErrorNamingTheKey() {
        assertEquals(OrtTuning.AUTO_SHARDS, load(Map.of()).ortTuning().stepShards());
        assertEquals(OrtTuning.AUTO_SHARDS, load(Map.of("model.step.shards", "AUTO")).ortTuning().stepShards());
        assertEquals(1, load(Map.of("model.step.shards", " 1 ")).ortTuning().stepShards());
        assertRejectedAndKeptOutOfKafka("model.step.shards", "model.step.shards must be auto or a number from 1", "2",
                "0", "-2", "two", "2000");
    }

    @Test
    void decodeThreadsAreAStepPartsByDefaultANumberOrAnErrorNamingTheKey() {
        OrtTuning auto = load(Map.of()).ortTuning();
        assertEquals(OrtTuning.AUTO_DECODE_THREADS, auto.decodeThreads());
        assertEquals(1, auto.decodeThreadsFor(2), "a step part's threads: 2 threads in 2 parts");
        assertEquals(4, load(Map.of("model.step.shards", "2")).ortTuning().decodeThreadsFor(8));
        assertEquals(8, load(Map.of("model.step.shards", "1")).ortTuning().decodeThreadsFor(8), "an unsplit step's");
        assertEquals(3, load(Map.of("model.decode.threads", " 3 ")).ortTuning().decodeThreadsFor(8));
        assertEquals(2, load(Map.of("model.decode.threads", "3")).ortTuning().decodeThreadsFor(2), "never more than model.threads");
        assertRejectedAndKeptOutOfKafka("model.decode.threads", "model.decode.threads must be auto or a number from 1",
                "1", "0", "-1", "one", "5000");
    }

    @Test
    void stepPieceRowsAreTheMeasuredChoiceByDefaultANumberOrAnErrorNamingTheKey() {
        assertEquals(OrtTuning.DEFAULT_STEP_PIECE_ROWS, load(Map.of()).ortTuning().stepPieceRows());
        assertEquals(4, load(Map.of("model.step.piece.rows", " 4 ")).ortTuning().stepPieceRows());
        assertEquals(OrtTuning.WHOLE_PARTS, load(Map.of("model.step.piece.rows", "0")).ortTuning().stepPieceRows());
        assertRejectedAndKeptOutOfKafka("model.step.piece.rows",
                "model.step.piece.rows must be a number of rows from 1 to 1024, or 0", "4", "-1", "eight", "2000", "");
    }

    @Test
    void badValuesNameTheKey() {
        MemstreamConfigException e = assertThrows(MemstreamConfigException.class,
                () -> load(Map.of("model.ort.optimization", "max", "model.ort.spinning", "yes")));
        assertTrue(e.getMessage().contains("model.ort.spinning must be true or false"), e.getMessage());
        MemstreamConfigException e2 = assertThrows(MemstreamConfigException.class,
                () -> load(Map.of("model.ort.optimization", "max")));
        assertTrue(e2.getMessage().contains("model.ort.optimization must be one of none|basic|extended|all"), e2.getMessage());
    }

    @Test
    void keysStayOutOfKafkasConfiguration() {
        MemstreamConfig c = load(Map.of("model.ort.spinning", "true", "state.dtype", "float16", "batch.merge", "true"));
        assertTrue(c.streamsProperties().getProperty("model.ort.spinning") == null);
        assertTrue(c.streamsProperties().getProperty("state.dtype") == null);
        assertEquals(io.memstream.topology.TopologyConfig.StateDtype.FLOAT16, c.topology().stateDtype());
        assertTrue(c.topology().batchMerge());
    }
}
