package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.memstream.schema.MemoryState;
import io.memstream.schema.StateTensor;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/**
 * The store serde reuses its encoding buffer, encoder and decoder per thread: what it returned
 * before must not change when it encodes or decodes the next record, on this thread or another.
 */
class AvroBinarySerdeTest {

    private static MemoryState state(long seq, int bytes) {
        byte[] data = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            data[i] = (byte) (seq * 31 + i);
        }
        return MemoryState.newBuilder().setModelFingerprint("sha256:test").setLastSeq(seq).setChunksAbsorbed(seq)
                .setTokensAbsorbed(seq * 64).setUpdatedAt(Instant.ofEpochMilli(1000 + seq))
                .setTensors(List.of(new StateTensor("memory", List.of(bytes / 4), "float32", ByteBuffer.wrap(data))))
                .build();
    }

    @Test
    void recordsEncodedOneAfterAnotherKeepTheirOwnBytes() {
        AvroBinarySerde<MemoryState> serde = new AvroBinarySerde<>(MemoryState.class);
        Serializer<MemoryState> ser = serde.serializer();
        Deserializer<MemoryState> de = serde.deserializer();
        // a big one (grows the buffer), a small one, and one bigger than any buffer a thread keeps
        MemoryState a = state(1, 8192);
        MemoryState b = state(2, 16);
        MemoryState c = state(3, 3 << 20);
        byte[] ba = ser.serialize("t", a);
        byte[] aCopy = ba.clone();
        byte[] bb = ser.serialize("t", b);
        byte[] bc = ser.serialize("t", c);
        assertArrayEquals(aCopy, ba, "encoding the next record changed an earlier one's bytes");
        MemoryState da = de.deserialize("t", ba);
        MemoryState db = de.deserialize("t", bb);
        assertEquals(a, da);
        assertEquals(b, db);
        assertEquals(a, de.deserialize("t", ba), "decoding another record changed what was decoded before");
        assertEquals(c, de.deserialize("t", bc));
        assertEquals(b, de.deserialize("t", ser.serialize("t", b)), "after an outsized record");
        assertNull(ser.serialize("t", null));
    }

    @Test
    void threadsEncodeAtOnceWithoutSharingBuffers() throws Exception {
        AvroBinarySerde<MemoryState> serde = new AvroBinarySerde<>(MemoryState.class);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> all = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                all.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        MemoryState s = state(thread * 1000L + i, 64 + 8 * (i % 50));
                        assertEquals(s, serde.deserializer().deserialize("t", serde.serializer().serialize("t", s)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
