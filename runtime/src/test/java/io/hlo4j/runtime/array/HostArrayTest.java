package io.hlo4j.runtime.array;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostArrayTest {

    @Test
    void shapeArithmetic() {
        long[] shape = {2, 3, 4};
        assertThat(Shape.strides(shape)).containsExactly(12, 4, 1);
        assertThat(Shape.flatIndex(shape, 1, 2, 3)).isEqualTo(23);
        assertThat(Shape.unflatten(shape, 23)).containsExactly(1, 2, 3);
        assertThat(Shape.numElements(new long[0])).isEqualTo(1);
        assertThat(Shape.numElements(new long[]{5, 0, 1L << 40})).isZero();
        assertThatThrownBy(() -> Shape.flatIndex(shape, 0, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("2, 3, 4");
        assertThatThrownBy(() -> Shape.numElements(new long[]{1L << 20, 1L << 20})).hasMessageContaining("more than");
        assertThatThrownBy(() -> HostArray.zeros(TensorType.of(FloatType.F32, TensorType.DYNAMIC))).hasMessageContaining("static shape");
    }

    @Test
    void factoriesAndReads() {
        HostArray f = HostArray.fromDoubles(TensorType.of(FloatType.F32, 2, 2), 1, 2, 3, 0.1);
        assertThat(f.getDoubleAt(1, 1)).isEqualTo((double) 0.1f);
        assertThat(f.toFloatArray()).containsExactly(1f, 2f, 3f, 0.1f);
        HostArray bf = HostArray.fromDoubles(TensorType.of(FloatType.BF16, 2), 1.0, 3.14159);
        assertThat(bf.getBits(1)).isEqualTo(0x4049L); // 3.140625
        assertThat(bf.getDouble(1)).isEqualTo(3.140625);
        HostArray fl = HostArray.fromFloats(TensorType.of(FloatType.F16, 1), 65520f);
        assertThat(fl.getDouble(0)).isInfinite();
        assertThat(HostArray.fill(TensorType.of(IntegerType.UI8, 3), 255L).toLongArray()).containsExactly(255, 255, 255);
        assertThat(HostArray.fill(TensorType.of(FloatType.F64, 2), 0.5).toDoubleArray()).containsExactly(0.5, 0.5);
        assertThat(HostArray.fill(TensorType.of(IntegerType.I1, 2), true).toBooleanArray()).containsExactly(true, true);
        assertThat(HostArray.zeros(ComplexType.C64, 1).getComplex(0)).isEqualTo(new Complex(0, 0));
        assertThatThrownBy(() -> HostArray.fromLongs(TensorType.of(IntegerType.signless(4), 1), 8))
                .hasMessageContaining("value 8 at index 0 is out of range of i4");
        assertThatThrownBy(() -> HostArray.fromLongs(TensorType.of(IntegerType.UI8, 1), -1)).hasMessageContaining("out of range of ui8");
        assertThatThrownBy(() -> HostArray.fromDoubles(TensorType.of(FloatType.F32, 3), 1, 2)).hasMessageContaining("has 3 elements, got 2");
        assertThatThrownBy(() -> f.getLong(0)).hasMessageContaining("getLong of f32");
        assertThatThrownBy(() -> f.getBoolean(0)).hasMessageContaining("only i1");
        assertThatThrownBy(() -> f.getDouble(4)).isInstanceOf(IndexOutOfBoundsException.class);
        HostArray u64 = HostArray.fromLongs(TensorType.of(IntegerType.UI64, 1), -1L);
        assertThat(u64.getDouble(0)).isEqualTo(0x1p64);
        assertThat(u64.toString()).isEqualTo("tensor<1xui64>[18446744073709551615]");
    }

    @Test
    void immutability() {
        double[] src = {1, 2};
        HostArray a = HostArray.fromDoubles(TensorType.of(FloatType.F64, 2), src);
        src[0] = 99;
        assertThat(a.getDouble(0)).isEqualTo(1.0);
        a.toDoubleArray()[1] = 99;
        assertThat(a.getDouble(1)).isEqualTo(2.0);
        MutableHostArray m = a.toMutable();
        m.setDouble(0, 5);
        assertThat(a.getDouble(0)).isEqualTo(1.0);
        HostArray frozen = m.freeze();
        assertThat(frozen.getDouble(0)).isEqualTo(5.0);
        assertThatThrownBy(() -> m.setDouble(0, 6)).isInstanceOf(IllegalStateException.class).hasMessageContaining("frozen");
        assertThat(frozen.getDouble(0)).isEqualTo(5.0);
    }

    @Test
    void integerStorageWrapsAtItsWidth() {
        MutableHostArray m = MutableHostArray.zeros(TensorType.of(IntegerType.signless(4), 3));
        m.setLong(0, 7 + 1).setLong(1, -9).setLong(2, 0x1F);
        assertThat(m.freeze().toLongArray()).containsExactly(-8, 7, -1);
        MutableHostArray u = MutableHostArray.zeros(TensorType.of(IntegerType.unsigned(2), 2));
        u.setLong(0, -1).setLong(1, 5);
        assertThat(u.freeze().toLongArray()).containsExactly(3, 1);
        MutableHostArray u32 = MutableHostArray.zeros(TensorType.of(IntegerType.UI32, 1));
        u32.setLong(0, -1);
        assertThat(u32.freeze().getLong(0)).isEqualTo(0xFFFFFFFFL);
        MutableHostArray i48 = MutableHostArray.zeros(TensorType.of(IntegerType.signless(48), 1));
        i48.setLong(0, 1L << 47);
        assertThat(i48.freeze().getLong(0)).isEqualTo(-(1L << 47));
    }

    static List<ElementType> everyElementType() {
        List<ElementType> types = new ArrayList<>();
        for (int w : new int[]{1, 2, 3, 4, 7, 8, 12, 16, 24, 32, 48, 63, 64}) {
            types.add(IntegerType.signless(w));
            if (w > 1) {
                types.add(IntegerType.unsigned(w));
                types.add(new IntegerType(w, IntegerType.Signedness.SIGNED));
            }
        }
        for (FloatKind k : FloatKind.values()) types.add(new FloatType(k));
        types.add(ComplexType.C64);
        types.add(ComplexType.C128);
        types.add(IndexType.INSTANCE);
        types.add(new QuantizedType(IntegerType.I8, null, null, FloatType.F32, null, List.of(0.5), List.of(3L)));
        return types;
    }

    /** Dense bytes -> HostArray -> dense bytes is the identity on canonical bytes, for every element type. */
    @Test
    void denseRoundTripForEveryElementType() {
        java.util.Random r = new java.util.Random(7);
        for (ElementType t : everyElementType()) {
            TensorType tt = TensorType.of(t, 2, 3);
            int per = t.storageBytes();
            byte[] bytes = new byte[6 * per];
            r.nextBytes(bytes);
            HostArray a = HostArray.fromDense(DenseElementsAttr.of(tt, bytes));
            DenseElementsAttr back = a.toDense();
            // Canonical form: the element bits masked to the width (i1 as 0/1).
            HostArray again = HostArray.fromDense(back);
            assertThat(again).as("%s", t).isEqualTo(a);
            byte[] out = back.rawData();
            Layout layout = Layout.of(t);
            for (int k = 0; k < 6; k++) {
                long raw = 0;
                for (int j = per - 1; j >= 0; j--) raw = (raw << 8) | (bytes[k * per + j] & 0xFF);
                long got = 0;
                for (int j = per - 1; j >= 0; j--) got = (got << 8) | (out[k * per + j] & 0xFF);
                if (layout.category() == Layout.Category.COMPLEX) {
                    assertThat(got).isEqualTo(raw);
                } else if (layout.category() == Layout.Category.BOOL) {
                    assertThat(got).isEqualTo(bytes[k] != 0 ? 1 : 0);
                } else {
                    int w = layout.bitWidth();
                    long mask = w == 64 ? -1 : (1L << w) - 1;
                    assertThat(got).as("%s element %d", t, k).isEqualTo(raw & mask);
                    assertThat(a.getBits(k)).isEqualTo(raw & mask);
                }
            }
        }
    }

    @Test
    void signedValuesFromDenseBytes() {
        TensorType t = TensorType.of(IntegerType.signless(4), 2);
        HostArray a = HostArray.fromDense(DenseElementsAttr.of(t, new byte[]{0x0F, (byte) 0xF8}));
        assertThat(a.toLongArray()).containsExactly(-1, -8);
        HostArray s = HostArray.fromDense(DenseElementsAttr.splat(TensorType.of(FloatType.F32, 3), new byte[]{0, 0, (byte) 0x80, 0x3F}));
        assertThat(s.toDoubleArray()).containsExactly(1.0, 1.0, 1.0);
    }

    @Test
    void memorySegmentRoundTrip() {
        HostArray a = HostArray.fromDoubles(TensorType.of(FloatType.BF16, 3), 1.0, -2.0, 0.5);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment seg = arena.allocate(6);
            a.copyInto(seg);
            assertThat(seg.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 2))
                    .isEqualTo((short) 0xC000); // bf16 -2.0
            assertThat(HostArray.fromMemorySegment(a.type(), seg)).isEqualTo(a);
            assertThatThrownBy(() -> a.copyInto(arena.allocate(5))).hasMessageContaining("needs 6 bytes");
        }
    }

    @Test
    void equalityIsBitwise() {
        TensorType t = TensorType.of(FloatType.F32, 1);
        assertThat(HostArray.fromDoubles(t, 0.0)).isNotEqualTo(HostArray.fromDoubles(t, -0.0));
        assertThat(HostArray.fromDoubles(t, Double.NaN)).isEqualTo(HostArray.fromDoubles(t, Double.NaN));
        assertThat(HostArray.fromDoubles(t, 1.0).allClose(HostArray.fromDoubles(t, 1.0 + 1e-7), 1e-6, 0)).isTrue();
        assertThat(HostArray.fromDoubles(t, 1.0).allClose(HostArray.fromDoubles(t, 1.1), 1e-6, 0)).isFalse();
        assertThat(HostArray.fromDoubles(t, 1.0).firstBitDifference(HostArray.fromDoubles(t, 1.0))).isEqualTo(-1);
        HostArray r = HostArray.fromDoubles(TensorType.of(FloatType.F64, 2, 3), 1, 2, 3, 4, 5, 6).reshape(3, 2);
        assertThat(r.getDoubleAt(2, 1)).isEqualTo(6.0);
        assertThatThrownBy(() -> r.reshape(4)).hasMessageContaining("cannot reshape");
    }
}
