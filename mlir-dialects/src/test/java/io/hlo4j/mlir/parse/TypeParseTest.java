package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.NoneType;
import io.hlo4j.mlir.types.OpaqueType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.ir.ParseException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.mlir.parse.Parse.attr;
import static io.hlo4j.mlir.parse.Parse.fails;
import static io.hlo4j.mlir.parse.Parse.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TypeParseTest {
    @Test
    void tensorShapes() {
        TensorType t = (TensorType) type("tensor<2x?x4xf32>");
        assertThat(t.shape()).containsExactly(2, TensorType.DYNAMIC, 4);
        assertThat(t.elementType()).isEqualTo(FloatType.F32);
        assertThat(((TensorType) type("tensor<f64>")).rank()).isZero();
        // "0xf32" would be a hex number anywhere else; inside a shape it is a zero dimension.
        assertThat(((TensorType) type("tensor<0xf32>")).shape()).containsExactly(0);
        assertThat(((TensorType) type("tensor<0x3xbf16>")).shape()).containsExactly(0, 3);
        assertThat(((TensorType) type("tensor<4x?xi1>")).shape()).containsExactly(4, TensorType.DYNAMIC);
    }

    @Test
    void boundedEncodingIsAnAttribute() {
        TensorType t = (TensorType) type("tensor<?x4xf32, #stablehlo.bounds<16, ?>>");
        assertThat(t.encoding()).isNotNull();
        assertThat(t.encoding().toString()).isEqualTo("#stablehlo.bounds<16, ?>");
    }

    @Test
    void everyFloatKindAndIntegerSpelling() {
        for (FloatKind k : FloatKind.values()) assertThat(type(k.mnemonic())).isEqualTo(new FloatType(k));
        assertThat(type("i1")).isEqualTo(IntegerType.I1);
        assertThat(type("i4")).isEqualTo(IntegerType.signless(4));
        assertThat(type("si8")).isEqualTo(new IntegerType(8, IntegerType.Signedness.SIGNED));
        assertThat(type("ui64")).isEqualTo(IntegerType.UI64);
        assertThat(type("index")).isEqualTo(IndexType.INSTANCE);
        assertThat(type("none")).isEqualTo(NoneType.INSTANCE);
        fails("\"t.op\"() : () -> (i65)", "unsupported width");
        fails("\"t.op\"() : () -> (f7)", "unknown type 'f7'");
    }

    @Test
    void complexTupleFunctionAndToken() {
        assertThat(type("complex<f32>")).isEqualTo(ComplexType.C64);
        assertThat(type("tensor<2xcomplex<f64>>")).isEqualTo(TensorType.of(ComplexType.C128, 2));
        fails("\"t.op\"() : () -> (complex<i32>)", "complex element type must be f32 or f64");
        assertThat(type("tuple<tensor<f32>, !stablehlo.token>"))
                .isEqualTo(new TupleType(List.of(TensorType.scalar(FloatType.F32), TokenType.INSTANCE)));
        assertThat(type("tuple<>")).isEqualTo(new TupleType(List.of()));
        assertThat(((TypeAttr) attr("(i32, f32) -> (i1, i1)")).value()).isEqualTo(new FunctionType(
                List.of(IntegerType.I32, FloatType.F32), List.of(IntegerType.I1, IntegerType.I1)));
        assertThat(((TypeAttr) attr("() -> i32")).value()).isEqualTo(new FunctionType(List.of(), List.of(IntegerType.I32)));
    }

    @Test
    void quantizedPerTensorAndPerAxis() {
        QuantizedType q = (QuantizedType) ((TensorType) type("tensor<2x!quant.uniform<i8:f32, 5.000000e-01:-3>>")).elementType();
        assertThat(q.storageType()).isEqualTo(IntegerType.I8);
        assertThat(q.expressedType()).isEqualTo(FloatType.F32);
        assertThat(q.scales()).containsExactly(0.5);
        assertThat(q.zeroPoints()).containsExactly(-3L);
        assertThat(q.isPerAxis()).isFalse();
        assertThat(q.storageMin()).isNull();

        QuantizedType a = (QuantizedType) type("!quant.uniform<i8<-127:127>:f32:1, {1.000000e-01:-2,2.000000e-01}>");
        assertThat(a.quantizedDimension()).isEqualTo(1);
        assertThat(a.storageMin()).isEqualTo(-127L);
        assertThat(a.storageMax()).isEqualTo(127L);
        assertThat(a.scales()).containsExactly(0.1, 0.2);
        assertThat(a.zeroPoints()).containsExactly(-2L, 0L);

        QuantizedType u = (QuantizedType) type("!quant.uniform<u8:f32, 2.0:128>");
        assertThat(u.storageType()).isEqualTo(IntegerType.UI8);
        fails("\"t.op\"() : () -> (!quant.uniform<i8:f32, {0.5}>)", "per-axis quantized type needs a quantized dimension");
    }

    @Test
    void unknownDialectAndBuiltinTypesKeepTheirText() {
        assertThat(type("!foo.bar<1, [2]>")).isEqualTo(new OpaqueType("!foo.bar<1, [2]>"));
        assertThat(type("memref<4x4xf32>")).isEqualTo(new OpaqueType("memref<4x4xf32>"));
        assertThat(type("vector<4xf32>")).isEqualTo(new OpaqueType("vector<4xf32>"));
    }

    @Test
    void typeAliasesResolve() {
        var op = Parse.firstOp("!t = tensor<4xf32>\n\"test.op\"() : () -> (!t, tensor<2x!t2>)\n!t2 = !quant.uniform<i8:f32, 1.0>");
        assertThat(op.result(0).type()).isEqualTo(TensorType.of(FloatType.F32, 4));
        assertThat(((TensorType) op.result(1).type()).elementType()).isInstanceOf(QuantizedType.class);
        fails("\"t.op\"() : () -> (!nope)", "undefined type alias !nope");
    }

    @Test
    void standaloneTypeAndAttributeText() {
        assertThat(MlirParser.parseType("tensor<2x?xf32>")).isEqualTo(TensorType.of(FloatType.F32, 2, TensorType.DYNAMIC));
        assertThat(MlirParser.parseAttribute("3 : i32")).isEqualTo(new io.hlo4j.mlir.attr.IntegerAttr(3, IntegerType.I32));
        assertThatThrownBy(() -> MlirParser.parseType("tensor<f32> x")).isInstanceOf(ParseException.class)
                .hasMessage("unexpected text after the type (found 'x')");
        assertThatThrownBy(() -> MlirParser.parseAttribute("[[[")).isInstanceOf(ParseException.class);
    }
}
