package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model worker's session runs the steps too small to split, and prefills, on one core's sessions
 * (the workers run side by side, one per step part), and gives what the caller's session gives.
 */
class WorkerSessionsTest {

    private record Result(boolean oneCore, StepOutput step, List<Generation> generations) { }

    @Test
    void aWorkersSessionStepsAndGeneratesOnOneCoreAsTheCallersSessionDoes() throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/default"),
                DeviceChoice.CPU, 2, OrtTuning.DEFAULT)) {
            assertEquals(2, runtime.modelWorkers());
            String[] texts = {"The quick brown fox", "jumps over the lazy dog", "and again"};
            float[][][] states = new float[texts.length][][];
            int[][] tokens = new int[texts.length][];
            List<GenerationSpec> specs = new ArrayList<>();
            for (int row = 0; row < texts.length; row++) {
                states[row] = runtime.initialState();
                tokens[row] = runtime.tokenizer().encode(texts[row], row == 0);
                specs.add(new GenerationSpec(10, 0f, 0, 1f, row, List.of()));
            }
            ModelSession caller = runtime.sessionForCurrentThread();
            assertFalse(caller.splitsStep(texts.length), "a step this small is not split");
            Result mine = new Result(caller.onOneCore(), caller.step(states, tokens),
                    caller.generate(states, tokens, specs));
            Result worker = runtime.workerForCurrentThread().submit(() -> {
                ModelSession s = runtime.sessionForCurrentThread();
                return new Result(s.onOneCore(), s.step(states, tokens), s.generate(states, tokens, specs));
            }).get();

            assertFalse(mine.oneCore(), "the caller's session has the model's threads");
            assertTrue(worker.oneCore(), "a worker's session runs on a part's");
            for (int row = 0; row < texts.length; row++) {
                assertEquals(mine.step().bits()[row], worker.step().bits()[row], 1e-3 * tokens[row].length, "bits of row " + row);
                for (int s = 0; s < runtime.manifest().state().size(); s++) {
                    assertArrayEquals(mine.step().nextState()[row][s], worker.step().nextState()[row][s], 1e-4f,
                            "state " + s + " of row " + row);
                }
                assertArrayEquals(mine.generations().get(row).tokens(), worker.generations().get(row).tokens(),
                        "generation of row " + row);
            }
        }
    }
}
