package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.LocationAttr;
import io.hlo4j.mlir.attr.OpaqueAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.mlir.parse.Parse.attr;
import static io.hlo4j.mlir.parse.Parse.fails;
import static org.assertj.core.api.Assertions.assertThat;

class AttributeParseTest {
    @Test
    void integersDefaultToI64AndAreRangeChecked() {
        assertThat(attr("5")).isEqualTo(IntegerAttr.i64(5));
        assertThat(attr("-3 : i32")).isEqualTo(new IntegerAttr(-3, IntegerType.I32));
        assertThat(attr("0x10 : i8")).isEqualTo(new IntegerAttr(16, IntegerType.I8));
        // Signless types take the unsigned range too; the stored pattern is sign-extended (0xFF is -1).
        assertThat(attr("255 : i8")).isEqualTo(new IntegerAttr(-1, IntegerType.I8));
        assertThat(attr("18446744073709551615 : ui64")).isEqualTo(new IntegerAttr(-1, IntegerType.UI64));
        assertThat(attr("-9223372036854775808 : i64")).isEqualTo(IntegerAttr.i64(Long.MIN_VALUE));
        fails("\"t.op\"() {a = 256 : i8} : () -> ()", "out of range for i8");
        fails("\"t.op\"() {a = -1 : ui8} : () -> ()", "out of range for ui8");
        fails("\"t.op\"() {a = 128 : si8} : () -> ()", "out of range for si8");
        fails("\"t.op\"() {a = 1.5 : i32} : () -> ()", "not valid for integer type i32");
    }

    @Test
    void floatsDecimalAndHexBitPatterns() {
        assertThat(attr("1.5")).isEqualTo(new FloatAttr(1.5, FloatType.F64));
        assertThat(attr("-2.5e-1 : f64")).isEqualTo(new FloatAttr(-0.25, FloatType.F64));
        FloatAttr nan = (FloatAttr) attr("0x7FC00000 : f32");
        assertThat(Float.floatToRawIntBits((float) nan.value())).isEqualTo(0x7FC00000);
        assertThat(((FloatAttr) attr("0xFF800000 : f32")).value()).isEqualTo(Double.NEGATIVE_INFINITY);
        // 0.1 rounded to the nearest f32 (0x3DCCCCCD), not the f64 value.
        assertThat(((FloatAttr) attr("1.000000e-01 : f32")).value()).isEqualTo((double) Float.intBitsToFloat(0x3DCCCCCD));
        // bf16 has 7 mantissa bits: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and rounds to even (1.0).
        assertThat(((FloatAttr) attr("1.00390625 : bf16")).value()).isEqualTo(1.0);
        assertThat(((FloatAttr) attr("0x3F80 : bf16")).value()).isEqualTo(1.0);
        fails("\"t.op\"() {a = 1 : f32} : () -> ()", "unexpected decimal integer literal");
        fails("\"t.op\"() {a = 0x1FFFF : bf16} : () -> ()", "does not fit in bf16");
        fails("\"t.op\"() {a = -0x3F80 : bf16} : () -> ()", "should not have a leading minus sign");
    }

    @Test
    void stringsWithEscapes() {
        assertThat(attr("\"a\\\"b\\\\c\\nd\\41\\t\"")).isEqualTo(new StringAttr("a\"b\\c\nd" + "A\t"));
        // \C3\A9 is UTF-8 for e-acute; a lone \FF is not UTF-8 and stays the Latin-1 character U+00FF.
        assertThat(attr("\"caf\\C3\\A9\"")).isEqualTo(new StringAttr("caf\u00e9"));
        assertThat(attr("\"\\FF\"")).isEqualTo(new StringAttr("\u00ff"));
        assertThat(attr("\"x\" : i32")).isEqualTo(new StringAttr("x", IntegerType.I32));
        fails("\"t.op\"() {a = \"\\q\"} : () -> ()", "unknown escape");
        fails("\"t.op\"() {a = \"open} : () -> ()", "expected attribute");
    }

    @Test
    void boolUnitArraysDictionariesSymbolsTypes() {
        assertThat(attr("true")).isEqualTo(BoolAttr.TRUE);
        assertThat(attr("unit")).isEqualTo(UnitAttr.INSTANCE);
        var op = Parse.firstOp("\"t.op\"() {flag, b = 1, a = [1, \"x\", [false]]} : () -> ()");
        assertThat(op.attributes().get("flag")).isEqualTo(UnitAttr.INSTANCE);
        assertThat(op.attributes().asMap().keySet()).containsExactly("a", "b", "flag");
        assertThat(op.attributes().get("a")).isEqualTo(ArrayAttr.of(IntegerAttr.i64(1), new StringAttr("x"), ArrayAttr.of(BoolAttr.FALSE)));
        assertThat(attr("{\"quoted key\" = 1 : i32, z}")).isEqualTo(DictionaryAttr.EMPTY
                .with("quoted key", new IntegerAttr(1, IntegerType.I32)).with("z", UnitAttr.INSTANCE));
        fails("\"t.op\"() {a = 1, a = 2} : () -> ()", "duplicate key 'a'");
        assertThat(attr("@a::@b::@c")).isEqualTo(new SymbolRefAttr("a", List.of("b", "c")));
        assertThat(attr("@\"quoted name\"")).isEqualTo(SymbolRefAttr.of("quoted name"));
        assertThat(attr("tensor<2xi8>")).isEqualTo(new TypeAttr(TensorType.of(IntegerType.I8, 2)));
    }

    @Test
    void denseArrays() {
        assertThat(attr("array<i64: 1, -2>")).isEqualTo(DenseArrayAttr.ofI64(1, -2));
        assertThat(attr("array<i64>")).isEqualTo(DenseArrayAttr.ofI64());
        assertThat(attr("array<i1: true, false>")).isEqualTo(DenseArrayAttr.ofInts(IntegerType.I1, 1, 0));
        assertThat(attr("array<f32: 1.5, 0x3F800000, 2>")).isEqualTo(DenseArrayAttr.ofFloats(FloatType.F32, 1.5, 1.0, 2.0));
        fails("\"t.op\"() {a = array<i8: 300>} : () -> ()", "out of range for i8");
        fails("\"t.op\"() {a = array<tensor<i8>: 3>} : () -> ()", "must be an integer or float type");
    }

    @Test
    void dialectAttributesRegisteredOrOpaque() {
        var cmp = attr("#stablehlo<comparison_direction LT>");
        assertThat(cmp).isInstanceOf(DialectAttribute.class);
        assertThat(cmp.toString()).isEqualTo("#stablehlo<comparison_direction LT>");
        var dot = attr("#stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>");
        assertThat(dot).isInstanceOf(DialectAttribute.class);
        assertThat(attr("#foo.bar<x = [1,  2],\n  y>")).isEqualTo(new OpaqueAttr("#foo.bar<x = [1, 2], y>"));
        fails("\"t.op\"() {a = #stablehlo<comparison_direction SIDEWAYS>} : () -> ()", "SIDEWAYS");
    }

    @Test
    void attributeAliasesAndLocations() {
        var op = Parse.firstOp("#a = 5 : i32\n#d = {k = #a}\n\"t.op\"() {x = #a, y = #d} : () -> ()");
        assertThat(op.attributes().get("x")).isEqualTo(new IntegerAttr(5, IntegerType.I32));
        assertThat(op.attributes().get("y")).isEqualTo(DictionaryAttr.EMPTY.with("k", new IntegerAttr(5, IntegerType.I32)));
        fails("\"t.op\"() {x = #missing} : () -> ()", "undefined attribute alias #missing");
        fails("#a = #b\n#b = #a\n\"t.op\"() {x = #a} : () -> ()", "defined in terms of itself");
        assertThat(attr("loc(\"f.py\":3:4)")).isEqualTo(new LocationAttr(new Location.FileLineCol("f.py", 3, 4)));
    }
}
