package io.memstream.topology;

import io.memstream.model.ModelManifest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.StateTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts a stream's memory between the store value ({@link MemoryState}: little-endian float32 as
 * the manifest describes, or float16 under {@code state.dtype=float16}, or {@code auto} where the
 * manifest's {@code state_storage} says so) and the arrays the model takes, and applies the
 * fingerprint policy. Reading follows each stored tensor's own {@code dtype}, so changing
 * {@code state.dtype} needs no migration: old values are read as written.
 */
final class MemoryCodec {

    private final ModelManifest manifest;
    private final float[][] initial;
    private final TopologyConfig.FingerprintMismatch policy;
    private final TopologyConfig.StateDtype dtype;
    /** Per-state shapes as Avro wants them, built once instead of per record. */
    private final List<List<Integer>> shapes = new ArrayList<>();

    MemoryCodec(ModelManifest manifest, float[][] initial, TopologyConfig.FingerprintMismatch policy) {
        this(manifest, initial, policy, TopologyConfig.StateDtype.FLOAT32);
    }

    MemoryCodec(ModelManifest manifest, float[][] initial, TopologyConfig.FingerprintMismatch policy,
                TopologyConfig.StateDtype dtype) {
        this.manifest = manifest;
        this.initial = initial;
        this.policy = policy;
        this.dtype = dtype.resolve(manifest);
        for (ModelManifest.StateSpec spec : manifest.state()) {
            List<Integer> shape = new ArrayList<>(spec.shape().length);
            for (int d : spec.shape()) {
                shape.add(d);
            }
            shapes.add(List.copyOf(shape));
        }
    }

    /** True when the stored state comes from another model; throws under {@code fingerprint.mismatch=fail}. */
    boolean foreign(String streamId, MemoryState stored) {
        if (stored == null || stored.getModelFingerprint().equals(manifest.fingerprint())) {
            return false;
        }
        if (policy == TopologyConfig.FingerprintMismatch.FAIL) {
            throw new FingerprintMismatchException(streamId, stored.getModelFingerprint(), manifest.fingerprint());
        }
        return true;
    }

    /** The tensors to feed the model: the stored ones, or the initial state for a new or reset stream. */
    float[][] tensors(String streamId, MemoryState stored) {
        if (stored == null || foreign(streamId, stored)) {
            return initial;
        }
        List<StateTensor> tensors = stored.getTensors();
        if (tensors.size() != manifest.state().size()) {
            throw new IllegalStateException("memory of stream '" + streamId + "' has " + tensors.size()
                    + " tensors, the model " + manifest.state().size());
        }
        float[][] out = new float[tensors.size()][];
        for (int i = 0; i < out.length; i++) {
            ModelManifest.StateSpec spec = manifest.state().get(i);
            StateTensor t = tensors.get(i);
            ByteBuffer data = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            boolean half = TopologyConfig.StateDtype.FLOAT16.label().equals(t.getDtype());
            int width = half ? 2 : 4;
            if (!spec.name().equals(t.getName()) || data.remaining() != width * spec.size()
                    || !(half || TopologyConfig.StateDtype.FLOAT32.label().equals(t.getDtype()))) {
                throw new IllegalStateException("memory of stream '" + streamId + "': tensor " + i
                        + " (" + t.getDtype() + ") does not match state " + spec.name() + " of the model");
            }
            out[i] = new float[spec.size()];
            if (half) {
                short[] halves = new short[spec.size()];
                data.asShortBuffer().get(halves);
                Half.toFloats(halves, out[i]);
            } else {
                data.asFloatBuffer().get(out[i]);
            }
        }
        return out;
    }

    /** Bytes of the tensor data one stored state holds (what a {@link MemoryStates} entry costs, about). */
    long valueBytes() {
        long values = 0;
        for (ModelManifest.StateSpec spec : manifest.state()) {
            values += spec.size();
        }
        return values * dtype.bytesPerValue();
    }

    /**
     * The store value of a memory. Under {@code state.dtype=float16} a tensor with a value too large
     * for float16 is stored as float32 instead, as read back it would be infinite and the model's
     * next step NaN; {@link #tensors} reads each tensor in its own dtype.
     */
    MemoryState encode(float[][] tensors, long lastSeq, long chunksAbsorbed, long tokensAbsorbed, long updatedAt) {
        List<StateTensor> list = new ArrayList<>(tensors.length);
        for (int i = 0; i < tensors.length; i++) {
            ModelManifest.StateSpec spec = manifest.state().get(i);
            TopologyConfig.StateDtype stored = TopologyConfig.StateDtype.FLOAT32;
            ByteBuffer data;
            short[] halves = dtype == TopologyConfig.StateDtype.FLOAT16 ? new short[tensors[i].length] : null;
            if (halves != null && Half.fromFloats(tensors[i], halves)) {
                stored = TopologyConfig.StateDtype.FLOAT16;
                data = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
                data.asShortBuffer().put(halves);
            } else {
                data = ByteBuffer.allocate(4 * tensors[i].length).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(tensors[i]);
            }
            list.add(new StateTensor(spec.name(), shapes.get(i), stored.label(), data));
        }
        return MemoryState.newBuilder()
                .setModelFingerprint(manifest.fingerprint())
                .setLastSeq(lastSeq)
                .setChunksAbsorbed(chunksAbsorbed)
                .setTokensAbsorbed(tokensAbsorbed)
                .setUpdatedAt(java.time.Instant.ofEpochMilli(updatedAt))
                .setTensors(list)
                .build();
    }
}
