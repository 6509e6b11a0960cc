package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.ModelLoadException;
import io.memstream.model.ModelManifest;
import io.memstream.model.TestModels;
import io.memstream.topology.TopologyConfig.StateDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** state.dtype=auto, the default: the element type the model's manifest names in state_storage. */
class StateDtypeAutoTest {

    @TempDir
    Path tmp;

    @Test
    void autoIsTheDefault() {
        assertEquals(StateDtype.AUTO, TopologyConfig.defaults().stateDtype());
    }

    @Test
    void autoStoresWhatTheManifestNames() throws IOException {
        ModelManifest says16 = ModelManifest.load(withStorage("{\"dtype\": \"float16\", \"float16_check\": {}}"));
        assertEquals(ModelManifest.FLOAT16, says16.stateStorageDtype());
        assertEquals(StateDtype.FLOAT16, StateDtype.AUTO.resolve(says16));
        assertEquals("float16", storedDtype(says16, StateDtype.AUTO));

        ModelManifest says32 = ModelManifest.load(withStorage("{\"dtype\": \"float32\"}"));
        assertEquals(StateDtype.FLOAT32, StateDtype.AUTO.resolve(says32));
        assertEquals("float32", storedDtype(says32, StateDtype.AUTO));
    }

    @Test
    void aManifestThatSaysNothingMeansFloat32() {
        ModelManifest silent = ModelManifest.load(TestModels.tiny());
        assertEquals(ModelManifest.FLOAT32, silent.stateStorageDtype());
        assertEquals("float32", storedDtype(silent, StateDtype.AUTO));
    }

    @Test
    void aSettingOtherThanAutoWins() throws IOException {
        ModelManifest says16 = ModelManifest.load(withStorage("{\"dtype\": \"float16\"}"));
        assertEquals(StateDtype.FLOAT32, StateDtype.FLOAT32.resolve(says16));
        assertEquals("float32", storedDtype(says16, StateDtype.FLOAT32));
        assertEquals("float16", storedDtype(ModelManifest.load(TestModels.tiny()), StateDtype.FLOAT16));
    }

    @Test
    void anUnknownStorageDtypeIsAClearError() throws IOException {
        Path dir = withStorage("{\"dtype\": \"int8\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.load(dir));
        assertTrue(e.getMessage().contains("state_storage dtype 'int8'"), e.getMessage());
    }

    @Test
    void autoHasNoSizeUntilResolved() {
        assertThrows(IllegalStateException.class, StateDtype.AUTO::bytesPerValue);
    }

    /** The dtype of the tensor a codec under {@code setting} stores for the model's initial state. */
    private static String storedDtype(ModelManifest manifest, StateDtype setting) {
        float[][] initial = new float[manifest.state().size()][];
        for (int i = 0; i < initial.length; i++) {
            initial[i] = new float[manifest.state().get(i).size()];
        }
        MemoryCodec codec = new MemoryCodec(manifest, initial, TopologyConfig.FingerprintMismatch.FAIL, setting);
        return codec.encode(initial, 0L, 1L, 1L, 0L).getTensors().get(0).getDtype();
    }

    /** The tiny model with {@code "state_storage": json} added to its manifest. */
    private Path withStorage(String json) throws IOException {
        Path dir = TestModels.copy(TestModels.tiny(), Files.createTempDirectory(tmp, "tiny"));
        Path manifest = dir.resolve("manifest.json");
        String text = Files.readString(manifest).trim();
        Files.writeString(manifest, text.substring(0, text.lastIndexOf('}')) + ",\n  \"state_storage\": " + json + "\n}\n");
        return dir;
    }
}
