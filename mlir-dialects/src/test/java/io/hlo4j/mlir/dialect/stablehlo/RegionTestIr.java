package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Small IR-building helpers for the part-B op tests. */
final class RegionTestIr {
    private RegionTestIr() {}

    static final FloatType F32 = FloatType.F32;
    static final IntegerType I32 = IntegerType.I32;
    static final IntegerType I64 = IntegerType.I64;
    static final IntegerType I1 = IntegerType.I1;

    static TensorType t(ElementType e, long... shape) { return TensorType.of(e, shape); }

    static TensorType s(ElementType e) { return TensorType.scalar(e); }

    /** Fresh values of the given types (arguments of a throwaway block). */
    static List<BlockArgument> values(Type... types) {
        Block.Builder b = Block.builder();
        for (Type t : types) b.addArgument(t);
        return b.arguments();
    }

    static Value value(Type t) { return values(t).get(0); }

    /** A one-block region with {@code argTypes} arguments whose body is built by {@code body}, then returned. */
    static Region region(List<Type> argTypes, BiFunction<Block.Builder, List<BlockArgument>, List<Value>> body) {
        Block.Builder bb = Block.builder();
        for (Type t : argTypes) bb.addArgument(t);
        List<Value> ret = body.apply(bb, bb.arguments());
        bb.append(Operation.builder("stablehlo.return").operands(ret).build());
        return Region.of(bb.build());
    }

    /** {@code ^bb0(%a: T, %b: T): %r = <op> %a, %b : T; return %r}. */
    static Region binary(String op, Type scalar) {
        return region(List.of(scalar, scalar), (bb, args) -> List.of(
                bb.append(Operation.builder(op).operands(args.get(0), args.get(1)).resultType(scalar).build()).result(0)));
    }

    /** A region returning the given outer values and taking no arguments (if/case branches). */
    static Region returning(Value... vs) { return region(List.of(), (bb, args) -> List.of(vs)); }

    static DenseElementsAttr i64Dense(long[] shape, long... values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) buf.putLong(v);
        return DenseElementsAttr.of(TensorType.of(IntegerType.I64, shape), buf.array());
    }

    /** {@code #stablehlo.channel_handle<handle = h, type = t>}. */
    static Attribute channel(long handle, long type) {
        return new ChannelHandle(handle, type);
    }

    static OpDef def(String name) {
        OpDef d = OpRegistry.global().lookup(name);
        if (d == null) throw new AssertionError(name + " is not registered");
        return d;
    }

    static void verifies(Operation op) {
        assertThatCode(() -> def(op.name()).verifier().verify(op)).as(op.name()).doesNotThrowAnyException();
    }

    /** The verifier rejects {@code op} naming {@code rule}, with a message containing {@code text}. */
    static void rejects(Operation op, String rule, String text) {
        assertThatThrownBy(() -> def(op.name()).verifier().verify(op))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("'" + op.name() + "' op")
                .hasMessageContaining(text)
                .hasMessageContaining("(" + rule + ")");
    }

    static List<Type> infer(Operation op) {
        return def(op.name()).typeInference().inferResultTypes(op.operandTypes(), op.properties(), op.regions());
    }
}
