package io.memstream.bench;

import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.model.OrtTuning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows per step piece ({@link OrtTuning#stepPieceRows}) against each other in one JVM: a runtime per
 * setting, and their calls taken in turns (a few calls of one, then of the next, the order rotated
 * every round), so that the machine's drift over minutes falls on all of them alike. Each setting's
 * figure is its median per-call time; each ratio is the median over rounds of that round's median
 * against the first setting's.
 */
final class StepPiecesBench {

    /** Settings of one run. */
    record Settings(int[] pieceRows, int[] batches, int rounds, int callsPerTurn, double warmupSeconds) { }

    private StepPiecesBench() { }

    static Map<String, Object> run(Path modelDir, int threads, OrtTuning base, Settings s) {
        List<ModelRuntime> runtimes = new ArrayList<>();
        try {
            for (int rows : s.pieceRows()) {
                runtimes.add(ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, base.withStepPieceRows(rows)));
            }
            return measure(runtimes, s);
        } finally {
            runtimes.forEach(ModelRuntime::close);
        }
    }

    private static Map<String, Object> measure(List<ModelRuntime> runtimes, Settings s) {
        int n = runtimes.size();
        int len = runtimes.get(0).manifest().chunkLength();
        EngineWorkloads workloads = new EngineWorkloads(runtimes.get(0), 6);
        List<ModelSession> sessions = runtimes.stream().map(ModelRuntime::sessionForCurrentThread).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("step_shards", runtimes.get(0).stepShards());
        out.put("rounds", s.rounds());
        out.put("calls_per_turn", s.callsPerTurn());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int b : s.batches()) {
            float[][][] states = workloads.states(b);
            int[][] tokens = workloads.tokens(b, len);
            for (ModelSession session : sessions) {
                Timings.measure(() -> session.step(states, tokens), s.warmupSeconds(), 0, 1);
            }
            double[][] all = new double[n][s.rounds() * s.callsPerTurn()];
            double[][] roundMedians = new double[n][s.rounds()];
            for (int round = 0; round < s.rounds(); round++) {
                for (int k = 0; k < n; k++) {
                    int c = (k + round) % n; // rotated, so no setting always follows the same one
                    double[] turn = new double[s.callsPerTurn()];
                    for (int i = 0; i < turn.length; i++) {
                        long t0 = System.nanoTime();
                        sessions.get(c).step(states, tokens);
                        turn[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    System.arraycopy(turn, 0, all[c], round * turn.length, turn.length);
                    roundMedians[c][round] = Timings.of(turn).median();
                }
            }
            for (int c = 0; c < n; c++) {
                Timings t = Timings.of(all[c]);
                double[] ratios = new double[s.rounds()];
                for (int round = 0; round < s.rounds(); round++) {
                    ratios[round] = roundMedians[c][round] / roundMedians[0][round];
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("batch", b);
                row.put("piece_rows", runtimes.get(c).stepPieceRows());
                row.putAll(t.summary());
                row.put("tokens_per_s", Timings.round(b * len / (t.median() / 1e3)));
                row.put("time_against_first", Timings.round(Timings.of(ratios).median()));
                row.put("time_against_first_by_round", Arrays.stream(ratios).map(Timings::round).toArray());
                rows.add(row);
                BenchOutput.progress("step B=%d, piece rows %d: %.2f ms median, %.3fx the time of piece rows %d",
                        b, runtimes.get(c).stepPieceRows(), t.median(), Timings.of(ratios).median(),
                        runtimes.get(0).stepPieceRows());
            }
        }
        out.put("step", rows);
        return out;
    }
}
