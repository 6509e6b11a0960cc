package io.memstream.topology;

import io.memstream.model.ModelManifest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.StateTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts a stream's memory between the store value ({@link MemoryState}, float32 little-endian as
 * the manifest describes) and the arrays the model takes, and applies the fingerprint policy.
 */
final class MemoryCodec {

    private final ModelManifest manifest;
    private final float[][] initial;
    private final TopologyConfig.FingerprintMismatch policy;

    MemoryCodec(ModelManifest manifest, float[][] initial, TopologyConfig.FingerprintMismatch policy) {
        this.manifest = manifest;
        this.initial = initial;
        this.policy = policy;
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
            ByteBuffer data = tensors.get(i).getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (!spec.name().equals(tensors.get(i).getName()) || data.remaining() != 4 * spec.size()) {
                throw new IllegalStateException("memory of stream '" + streamId + "': tensor " + i
                        + " does not match state " + spec.name() + " of the model");
            }
            out[i] = new float[spec.size()];
            data.asFloatBuffer().get(out[i]);
        }
        return out;
    }

    MemoryState encode(float[][] tensors, long lastSeq, long chunksAbsorbed, long tokensAbsorbed, long updatedAt) {
        List<StateTensor> list = new ArrayList<>(tensors.length);
        for (int i = 0; i < tensors.length; i++) {
            ModelManifest.StateSpec spec = manifest.state().get(i);
            ByteBuffer data = ByteBuffer.allocate(4 * tensors[i].length).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(tensors[i]);
            List<Integer> shape = new ArrayList<>(spec.shape().length);
            for (int d : spec.shape()) {
                shape.add(d);
            }
            list.add(new StateTensor(spec.name(), shape, spec.dtype(), data));
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
