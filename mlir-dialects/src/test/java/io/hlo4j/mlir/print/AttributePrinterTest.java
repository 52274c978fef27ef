package io.hlo4j.mlir.print;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.LocationAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attribute spellings. Expected texts are what LLVM 22's mlir-opt printed for the same attributes (the
 * commands are in the comments) or what the conformance files contain.
 */
class AttributePrinterTest {
    private static String p(Attribute a) { return AttributePrinter.print(a); }

    private static ByteBuffer le(int bytes) { return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN); }

    @Test void integers() {
        assertThat(p(IntegerAttr.i64(1))).isEqualTo("1 : i64");
        assertThat(p(IntegerAttr.i32(-7))).isEqualTo("-7 : i32");
        assertThat(p(new IntegerAttr(255, IntegerType.UI8))).isEqualTo("255 : ui8");
        assertThat(p(new IntegerAttr(-1, IntegerType.UI64))).isEqualTo("18446744073709551615 : ui64");
        assertThat(p(new IntegerAttr(-1, new IntegerType(8, IntegerType.Signedness.SIGNED)))).isEqualTo("-1 : si8");
        assertThat(p(new IntegerAttr(1, IntegerType.I1))).isEqualTo("true");
        assertThat(p(new IntegerAttr(3, IndexType.INSTANCE))).isEqualTo("3 : index");
        assertThat(p(BoolAttr.FALSE)).isEqualTo("false");
        assertThat(AttributePrinter.printWithoutType(IntegerAttr.i32(5))).isEqualTo("5");
    }

    @Test void floats() {
        assertThat(p(new FloatAttr(1.0, FloatType.F64))).isEqualTo("1.000000e+00 : f64");
        assertThat(p(new FloatAttr(0.1f, FloatType.F32))).isEqualTo("1.000000e-01 : f32");
        assertThat(p(new FloatAttr(Float.intBitsToFloat(0x7FC00000), FloatType.F32))).isEqualTo("0x7FC00000 : f32");
        assertThat(p(new FloatAttr(-0.0, FloatType.F32))).isEqualTo("-0.000000e+00 : f32");
        assertThat(p(new FloatAttr(123456789.0, FloatType.F64))).isEqualTo("0x419D6F3454000000 : f64");
    }

    @Test void arraysElideI64AndDecimalF64() {
        // mlir-opt: [[1, 2.0, 3.0 : f32]] -> [[1, 2.000000e+00, 3.000000e+00 : f32]]
        Attribute a = ArrayAttr.of(ArrayAttr.of(IntegerAttr.i64(1), new FloatAttr(2.0, FloatType.F64),
                new FloatAttr(3.0, FloatType.F32)));
        assertThat(p(a)).isEqualTo("[[1, 2.000000e+00, 3.000000e+00 : f32]]");
        assertThat(p(ArrayAttr.of(IntegerAttr.i32(1), new FloatAttr(Double.NaN, FloatType.F64))))
                .isEqualTo("[1 : i32, 0x7FF8000000000000 : f64]");
        assertThat(p(ArrayAttr.of())).isEqualTo("[]");
        // mlir-opt: ["s" : i32, dense<1> : tensor<2xi32>, 5 : index, 1 : i1, array<i32: 1>, {x = 1}, tensor<f32>,
        //            unit, 0x7FC00000 : f32, 2.5 : f64]
        Attribute mixed = new ArrayAttr(List.of(new StringAttr("s", IntegerType.I32),
                DenseElementsAttr.splat(TensorType.of(IntegerType.I32, 2), le(4).putInt(1).array()),
                new IntegerAttr(5, IndexType.INSTANCE), new IntegerAttr(1, IntegerType.I1),
                DenseArrayAttr.ofInts(IntegerType.I32, 1), DictionaryAttr.of(Map.of("x", IntegerAttr.i64(1))),
                new TypeAttr(TensorType.scalar(FloatType.F32)), UnitAttr.INSTANCE,
                new FloatAttr(Float.intBitsToFloat(0x7FC00000), FloatType.F32), new FloatAttr(2.5, FloatType.F64)));
        assertThat(p(mixed)).isEqualTo("[\"s\" : i32, dense<1> : tensor<2xi32>, 5 : index, true, array<i32: 1>, {x = 1 : i64}, "
                + "tensor<f32>, unit, 0x7FC00000 : f32, 2.500000e+00]");
    }

    @Test void strings() {
        // mlir-opt: "q\"\n\\é" -> "q\22\0A\\\C3\A9"
        assertThat(p(new StringAttr("q\"\n\\é"))).isEqualTo("\"q\\22\\0A\\\\\\C3\\A9\"");
        assertThat(p(new StringAttr("s", IntegerType.I32))).isEqualTo("\"s\" : i32");
        assertThat(p(new StringAttr(""))).isEqualTo("\"\"");
    }

    @Test void dictionariesAreSortedWithUnitKeysBareAndOddKeysQuoted() {
        Map<String, Attribute> m = new LinkedHashMap<>();
        m.put("b", UnitAttr.INSTANCE);
        m.put("a", IntegerAttr.i32(1));
        m.put("a-b", UnitAttr.INSTANCE);
        m.put("d", DictionaryAttr.EMPTY);
        assertThat(p(DictionaryAttr.of(m))).isEqualTo("{a = 1 : i32, \"a-b\", b, d = {}}");
    }

    @Test void denseArrays() {
        assertThat(p(DenseArrayAttr.ofI64())).isEqualTo("array<i64>");
        assertThat(p(DenseArrayAttr.ofI64(1, -2))).isEqualTo("array<i64: 1, -2>");
        assertThat(p(DenseArrayAttr.ofBools(true, false))).isEqualTo("array<i1: true, false>");
        assertThat(p(DenseArrayAttr.ofFloats(FloatType.F32, 1.5, 0.1f))).isEqualTo("array<f32: 1.500000e+00, 1.000000e-01>");
    }

    @Test void symbolRefsTypesAndLocations() {
        assertThat(p(new SymbolRefAttr("a", List.of("b")))).isEqualTo("@a::@b");
        assertThat(p(SymbolRefAttr.of("x y"))).isEqualTo("@\"x y\"");
        assertThat(p(new TypeAttr(TensorType.of(FloatType.F32, 2)))).isEqualTo("tensor<2xf32>");
        assertThat(p(new LocationAttr(new Location.FileLineCol("a", 1, 2)))).isEqualTo("loc(\"a\":1:2)");
        assertThat(p(UnitAttr.INSTANCE)).isEqualTo("unit");
    }

    @Test void denseSplatsAndEqualElements() {
        TensorType t = TensorType.of(FloatType.F32, 20, 20);
        assertThat(p(DenseElementsAttr.splat(t, le(4).putFloat(1f).array()))).isEqualTo("dense<1.000000e+00> : tensor<20x20xf32>");
        // mlir-opt: dense<[[1.0, 1.0]]> : tensor<1x2xf32> -> dense<1.000000e+00>
        TensorType t12 = TensorType.of(FloatType.F32, 1, 2);
        assertThat(p(DenseElementsAttr.of(t12, le(8).putFloat(1f).putFloat(1f).array()))).isEqualTo("dense<1.000000e+00> : tensor<1x2xf32>");
        assertThat(p(DenseElementsAttr.splat(TensorType.of(IntegerType.I1, 4), new byte[] {1}))).isEqualTo("dense<true> : tensor<4xi1>");
        assertThat(p(DenseElementsAttr.of(TensorType.of(IntegerType.I64), le(8).putLong(-1).array()))).isEqualTo("dense<-1> : tensor<i64>");
        assertThat(p(DenseElementsAttr.of(TensorType.of(FloatType.F32, 0), new byte[0]))).isEqualTo("dense<> : tensor<0xf32>");
        // mlir-opt: dense<2> : tensor<2x0x3xi4> prints back unchanged
        assertThat(p(DenseElementsAttr.splat(TensorType.of(IntegerType.signless(4), 2, 0, 3), new byte[] {2})))
                .isEqualTo("dense<2> : tensor<2x0x3xi4>");
        assertThat(p(DenseElementsAttr.of(TensorType.of(FloatType.F32), le(4).putInt(0x7FC00000).array()))).isEqualTo("dense<0x7FC00000> : tensor<f32>");
    }

    @Test void denseNestedLists() {
        TensorType t = TensorType.of(IntegerType.I32, 2, 2);
        assertThat(p(DenseElementsAttr.of(t, le(16).putInt(1).putInt(2).putInt(3).putInt(4).array())))
                .isEqualTo("dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>");
        TensorType b = TensorType.of(IntegerType.I1, 2, 3);
        assertThat(p(DenseElementsAttr.of(b, new byte[] {0, 0, 0, 1, 0, 1})))
                .isEqualTo("dense<[[false, false, false], [true, false, true]]> : tensor<2x3xi1>");
        assertThat(p(DenseElementsAttr.of(TensorType.of(IntegerType.UI8, 2), new byte[] {(byte) 255, 1})))
                .isEqualTo("dense<[255, 1]> : tensor<2xui8>");
        TensorType c = TensorType.of(ComplexType.C64, 2);
        byte[] cd = le(16).putFloat(-0.992783546f).putFloat(-0.340118021f).putFloat(-2.07474065f).putFloat(-1.85044086f).array();
        assertThat(p(DenseElementsAttr.of(c, cd)))
                .isEqualTo("dense<[(-0.992783546,-0.340118021), (-2.07474065,-1.85044086)]> : tensor<2xcomplex<f32>>");
        TensorType c2 = TensorType.of(ComplexType.C64, 2);
        assertThat(p(DenseElementsAttr.of(c2, le(16).putFloat(1f).putFloat(2f).putFloat(1f).putFloat(2f).array())))
                .isEqualTo("dense<(1.000000e+00,2.000000e+00)> : tensor<2xcomplex<f32>>");
    }

    @Test void denseHexAboveOneHundredElements() {
        TensorType t100 = TensorType.of(IntegerType.I16, 100);
        ByteBuffer b100 = le(200);
        for (int i = 0; i < 100; i++) b100.putShort((short) i);
        assertThat(p(DenseElementsAttr.of(t100, b100.array()))).startsWith("dense<[0, 1, 2, ").endsWith(", 99]> : tensor<100xi16>");
        // mlir-opt: dense<[0, 1, ..., 100]> : tensor<101xi16> -> dense<"0x000001000200...6400">
        TensorType t = TensorType.of(IntegerType.I16, 101);
        ByteBuffer b = le(202);
        for (int i = 0; i <= 100; i++) b.putShort((short) i);
        String s = p(DenseElementsAttr.of(t, b.array()));
        assertThat(s).isEqualTo("dense<\"0x00000100020003000400050006000700080009000A000B000C000D000E000F0010001100120013001400150016001700180019001A001B001C001D001E001F0020002100220023002400250026002700280029002A002B002C002D002E002F0030003100320033003400350036003700380039003A003B003C003D003E003F0040004100420043004400450046004700480049004A004B004C004D004E004F0050005100520053005400550056005700580059005A005B005C005D005E005F0060006100620063006400\"> : tensor<101xi16>");
    }
}
