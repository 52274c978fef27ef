package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.hlo4j.mlir.parse.Parse.fails;
import static org.assertj.core.api.Assertions.assertThat;

/** Dense literals against hand-computed little-endian bytes. */
class DenseLiteralTest {
    private static DenseElementsAttr dense(String literal) { return (DenseElementsAttr) Parse.attr(literal); }

    private static String hex(DenseElementsAttr d) { return HexFormat.of().withUpperCase().formatHex(d.rawData()); }

    @Test
    void nestedListsAreRowMajorLittleEndian() {
        assertThat(hex(dense("dense<[1, 2]> : tensor<2xi32>"))).isEqualTo("0100000002000000");
        // 1.0f = 0x3F800000, 2.0f = 0x40000000, -2.0f = 0xC0000000.
        assertThat(hex(dense("dense<[[1.0, 2.0], [-2.0, 1.0]]> : tensor<2x2xf32>"))).isEqualTo("0000803F00000040000000C00000803F");
        assertThat(hex(dense("dense<[-2, 3]> : tensor<2xi64>"))).isEqualTo("FEFFFFFFFFFFFFFF0300000000000000");
        assertThat(hex(dense("dense<[true, false, true]> : tensor<3xi1>"))).isEqualTo("010001");
        // bf16 1.0 = 0x3F80, 0.5 = 0x3F00; f16 1.0 = 0x3C00.
        assertThat(hex(dense("dense<[1.0, 0.5]> : tensor<2xbf16>"))).isEqualTo("803F003F");
        assertThat(hex(dense("dense<[1.0, 0.0]> : tensor<2xf16>"))).isEqualTo("003C0000");
        assertThat(hex(dense("dense<[(1.0, -2.0), (0.0, 1.0)]> : tensor<2xcomplex<f32>>"))).isEqualTo("0000803F000000C0000000000000803F");
        assertThat(hex(dense("dense<[255, 1]> : tensor<2xui8>"))).isEqualTo("FF01");
    }

    @Test
    void splatsAndAllEqualDataAreStoredOnce() {
        DenseElementsAttr s = dense("dense<7> : tensor<3xi16>");
        assertThat(s.isSplat()).isTrue();
        assertThat(hex(s)).isEqualTo("0700");
        assertThat(s.expandedData()).hasSize(6);
        DenseElementsAttr same = dense("dense<[5, 5, 5]> : tensor<3xi8>");
        assertThat(same.isSplat()).isTrue();
        assertThat(same).isEqualTo(dense("dense<5> : tensor<3xi8>"));
        assertThat(dense("dense<0.0> : tensor<2x0x3xf32>").isSplat()).isTrue();
        // A splat of a huge tensor is fine: it spells one element.
        assertThat(dense("dense<1> : tensor<100000000000xi8>").rawLength()).isEqualTo(1);
    }

    @Test
    void hexBlobsAndBareHexElements() {
        assertThat(hex(dense("dense<\"0x0100000002000000\"> : tensor<2xi32>"))).isEqualTo("0100000002000000");
        DenseElementsAttr one = dense("dense<\"0x2A000000\"> : tensor<4xi32>");
        assertThat(one.isSplat()).isTrue();
        assertThat(hex(one)).isEqualTo("2A000000");
        assertThat(hex(dense("dense<0x7FC00000> : tensor<f32>"))).isEqualTo("0000C07F");
        assertThat(hex(dense("dense<0xFF80> : tensor<2xbf16>"))).isEqualTo("80FF");
        assertThat(hex(dense("dense<0x0123456789ABCDEF> : tensor<i64>"))).isEqualTo("EFCDAB8967452301");
        assertThat(hex(dense("dense<[0x7F800000, 1.0]> : tensor<2xf32>"))).isEqualTo("0000807F0000803F");
    }

    @Test
    void emptyTensors() {
        assertThat(dense("dense<> : tensor<0xf32>").rawLength()).isZero();
        assertThat(dense("dense<[]> : tensor<0xf32>").rawLength()).isZero();
        assertThat(dense("dense<[[], []]> : tensor<2x0xi8>").rawLength()).isZero();
    }

    @Test
    void literalsMustMatchTheirType() {
        fails("\"t.op\"() {a = dense<[1, 2, 3]> : tensor<2xi32>} : () -> ()", "dense literal has shape [3] but its type tensor<2xi32> has shape [2]");
        fails("\"t.op\"() {a = dense<[[1, 2], [3]]> : tensor<2x2xi32>} : () -> ()", "not rectangular");
        fails("\"t.op\"() {a = dense<\"0x010203\"> : tensor<2xi16>} : () -> ()", "hex blob of 3 bytes does not match");
        fails("\"t.op\"() {a = dense<\"0x0G\"> : tensor<i8>} : () -> ()", "invalid hex digit");
        fails("\"t.op\"() {a = dense<300> : tensor<i8>} : () -> ()", "out of range for i8");
        fails("\"t.op\"() {a = dense<[1]> : tensor<?xi8>} : () -> ()", "static shape");
        fails("\"t.op\"() {a = dense<1>} : () -> ()", "dense literal needs a type");
        fails("\"t.op\"() {a = dense<[1]> : tensor<99999999999x99999999999xi8>} : () -> ()", "too large");
        fails("\"t.op\"() {a = dense<true> : tensor<f32>} : () -> ()", "not valid for f32");
        fails("\"t.op\"() {a = dense<1.0> : tensor<complex<f32>>} : () -> ()", "expected a complex element");
    }
}
