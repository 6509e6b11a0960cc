package io.memstream.topology;

/**
 * IEEE 754 binary16 conversions (Java 17 has no {@code Float.floatToFloat16}): round to nearest even,
 * subnormals, infinities and NaN kept. Used to store memory tensors at half the bytes.
 *
 * <p>A memory is converted a whole tensor at a time on the stream thread, which memstream's launcher
 * runs on the JIT's first tier alone: there a call per value through a {@code ByteBuffer} cost about
 * 19 us to write a 2,048-value memory and 14 us to read it (docs/performance-runs.md, "Run R"). The
 * array conversions do the normal values, nearly all of a memory, inline in one loop and leave the
 * rest to the per-value methods.
 */
final class Half {

    private Half() { }

    static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) { // Inf or NaN (keep a quiet NaN)
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) { // too large: infinity
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) { // subnormal half, or zero
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000; // implicit leading one
            int shift = 14 - e;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, up to infinity: still correct
        }
        return (short) (sign | half);
    }

    /**
     * {@link #fromFloat} of each value of {@code in}, into {@code out}; false when a finite value was
     * too large for binary16 (beyond 65504, it became infinite), so that the caller can keep float32.
     */
    static boolean fromFloats(float[] in, short[] out) {
        boolean finite = true;
        for (int i = 0; i < in.length; i++) {
            int bits = Float.floatToRawIntBits(in[i]);
            int exp = (bits >>> 23) & 0xff;
            if (exp > 127 - 15 && exp < 127 + 15) { // a normal half that rounding cannot make infinite
                // Rebias the exponent, then round the 13 bits dropped to nearest even: adding 0xfff and
                // the kept lowest bit carries into the kept bits exactly when fromFloat rounds up.
                int abs = (bits & 0x7fffffff) - ((127 - 15) << 23);
                out[i] = (short) (((bits >>> 16) & 0x8000) | ((abs + 0xfff + ((abs >>> 13) & 1)) >>> 13));
            } else {
                out[i] = fromFloat(in[i]);
                if ((out[i] & 0x7c00) == 0x7c00 && exp != 0xff) {
                    finite = false;
                }
            }
        }
        return finite;
    }

    /** {@link #toFloat} of each value of {@code in}, into {@code out}. */
    static void toFloats(short[] in, float[] out) {
        for (int i = 0; i < in.length; i++) {
            int h = in[i] & 0xffff;
            int exp = (h >>> 10) & 0x1f;
            if (exp != 0 && exp != 0x1f) { // a normal half: rebias the exponent
                out[i] = Float.intBitsToFloat(((h & 0x8000) << 16) | (((h & 0x7fff) + ((127 - 15) << 10)) << 13));
            } else {
                out[i] = toFloat(in[i]);
            }
        }
    }

    static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24, exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
