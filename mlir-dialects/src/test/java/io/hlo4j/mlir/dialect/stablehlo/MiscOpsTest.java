package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TokenType;
import org.junit.jupiter.api.Test;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Token, rng and async op verifiers against the spec's constraints. */
class MiscOpsTest {
    private static final TokenType TOKEN = TokenType.INSTANCE;

    @Test
    void afterAllJoinsTokens() {
        Operation ok = Operation.builder("stablehlo.after_all").operands(value(TOKEN), value(TOKEN)).resultType(TOKEN).build();
        verifies(ok);
        assertThat(infer(ok)).containsExactly(TOKEN);
        rejects(Operation.builder("stablehlo.after_all").operand(value(s(F32))).resultType(TOKEN).build(),
                "after_all_i1", "input #0 must be a token, but got tensor<f32>");
    }

    @Test
    void infeedReturnsTensorsThenAToken() {
        verifies(Operation.builder("stablehlo.infeed").operand(value(TOKEN)).resultTypes(t(I64, 2, 2), TOKEN).build());
        rejects(Operation.builder("stablehlo.infeed").operand(value(TOKEN)).resultTypes(TOKEN, t(I64, 2, 2)).build(),
                "infeed_c2", "except the last element, are expected to be of tensor type, but got !stablehlo.token");
        rejects(Operation.builder("stablehlo.infeed").operand(value(TOKEN)).resultTypes(t(I64, 2, 2)).build(),
                "infeed_c3", "last element of result types is expected to be of token type, but got tensor<2x2xi64>");
        assertThat(def("stablehlo.infeed").has(OpTrait.HAS_SIDE_EFFECT)).isTrue();
    }

    /** interpret/send_recv.mlir: host transfers use channel type 2 (device to host) and 3 (host to device). */
    @Test
    void sendAndRecvChannelTypes() {
        verifies(Operation.builder("stablehlo.send").operands(value(t(I64, 2, 2)), value(TOKEN))
                .property("channel_handle", channel(1, 2)).property("is_host_transfer", BoolAttr.TRUE).resultType(TOKEN).build());
        rejects(Operation.builder("stablehlo.send").operands(value(t(I64, 2, 2)), value(TOKEN))
                .property("channel_handle", channel(1, 1)).property("is_host_transfer", BoolAttr.TRUE).resultType(TOKEN).build(),
                "send_c1", "channel_type should be DEVICE_TO_HOST when is_host_transfer is true");
        verifies(Operation.builder("stablehlo.recv").operand(value(TOKEN)).property("channel_handle", channel(1, 3))
                .property("is_host_transfer", BoolAttr.TRUE).resultTypes(t(I64, 2, 2), TOKEN).build());
        rejects(Operation.builder("stablehlo.recv").operand(value(TOKEN)).property("channel_handle", channel(1, 3))
                .resultTypes(t(I64, 2, 2), TOKEN).build(), "recv_c1", "channel_type should be DEVICE_TO_DEVICE when is_host_transfer is false");
    }

    @Test
    void outfeedTakesTensorsAndAToken() {
        verifies(Operation.builder("stablehlo.outfeed").operands(value(t(I64, 2, 2, 2)), value(TOKEN)).resultType(TOKEN).build());
        rejects(Operation.builder("stablehlo.outfeed").operands(value(TOKEN), value(t(I64, 2))).resultType(TOKEN).build(),
                "outfeed_i2", "expects a trailing !stablehlo.token operand");
    }

    @Test
    void rngBitGeneratorKeepsTheStateShape() {
        verifies(Operation.builder("stablehlo.rng_bit_generator").operand(value(t(IntegerType.UI64, 2)))
                .property("rng_algorithm", EnumAttr.rngAlgorithm("THREE_FRY"))
                .resultTypes(t(IntegerType.UI64, 2), t(IntegerType.UI64, 2, 2)).build());
        rejects(Operation.builder("stablehlo.rng_bit_generator").operand(value(t(IntegerType.UI64, 2)))
                .property("rng_algorithm", EnumAttr.rngAlgorithm("THREE_FRY"))
                .resultTypes(t(IntegerType.UI64, 3), t(IntegerType.UI64, 2, 2)).build(),
                "rng_bit_generator_c1", "output state shape must be compatible with initial state shape");
        rejects(Operation.builder("stablehlo.rng_bit_generator").operand(value(t(IntegerType.UI64, 2)))
                .property("rng_algorithm", EnumAttr.rngDistribution("UNIFORM"))
                .resultTypes(t(IntegerType.UI64, 2), t(IntegerType.UI64, 2, 2)).build(), "rng_bit_generator_i1", "rng_algorithm must be");
    }

    @Test
    void rngNormalNeedsFloats() {
        verifies(Operation.builder("stablehlo.rng").operands(value(s(F32)), value(s(F32)), value(t(I64, 2)))
                .property("rng_distribution", EnumAttr.rngDistribution("NORMAL")).resultType(t(F32, 3, 3)).build());
        rejects(Operation.builder("stablehlo.rng").operands(value(s(I32)), value(s(I32)), value(t(I64, 2)))
                .property("rng_distribution", EnumAttr.rngDistribution("NORMAL")).resultType(t(I32, 3, 3)).build(),
                "rng_c1", "mu and sigma must be floats");
        rejects(Operation.builder("stablehlo.rng").operands(value(s(F32)), value(s(F32)), value(t(I64, 3)))
                .property("rng_distribution", EnumAttr.rngDistribution("UNIFORM")).resultType(t(F32, 3, 3)).build(),
                "rng_c2", "result rank 2 must equal the size of shape 3");
    }

    @Test
    void asyncPairUsesFutures() {
        io.hlo4j.mlir.types.Type future = new io.hlo4j.mlir.types.OpaqueType("!stablehlo.future<tensor<8x8xf32>>");
        verifies(Operation.builder("stablehlo.async_done").operand(value(future)).resultType(t(F32, 8, 8)).build());
        rejects(Operation.builder("stablehlo.async_done").operand(value(t(F32, 8, 8))).resultType(t(F32, 8, 8)).build(),
                "async_done", "operand must be one !stablehlo.future<...>");
        assertThat(def("stablehlo.async_start").has(OpTrait.ISOLATED_FROM_ABOVE)).isTrue();
    }
}
