package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.DataMovementOps.def;

/**
 * Ops StableHLO still declares but the spec dropped (upstream keeps them for MHLO compatibility): broadcast,
 * set_dimension_size, einsum, unary_einsum, torch_index_select. Declared so modules using them parse, print
 * and verify; later layers may lower them to spec ops.
 */
final class LegacyShapeOps {
    private LegacyShapeOps() {}

    static void register(OpRegistry r) {
        def(r, "broadcast", "legacy broadcast: prepends dimensions of the given sizes", Set.of("broadcast_sizes"),
                DataMovementOps.dimsSyntax(0, "sizes", "broadcast_sizes", false), op -> {
                    Verify.arity(op, 1, 1);
                    TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
                    long[] sizes = Verify.i64Array(op, "broadcast_sizes", true).longs();
                    long[] want = new long[sizes.length + in.rank()];
                    System.arraycopy(sizes, 0, want, 0, sizes.length);
                    System.arraycopy(in.shape(), 0, want, sizes.length, in.rank());
                    Verify.check(Verify.sameElement(in.elementType(), out.elementType())
                                    && Verify.compatibleShapes(TensorType.of(out.elementType(), want), out), op, "broadcast",
                            () -> "result must be " + TensorType.of(in.elementType(), want) + " (sizes then operand shape), got " + out);
                }, null);
        def(r, "set_dimension_size", "legacy: marks a dimension's runtime size", Set.of("dimension"), SET_DIMENSION_SIZE, op -> {
            Verify.arity(op, 2, 1);
            TensorType in = Verify.operandTensor(op, 0);
            Verify.check(Verify.operandTensor(op, 1).equals(TensorType.scalar(IntegerType.I32)), op, "set_dimension_size",
                    () -> "size must be tensor<i32>, got " + op.operand(1).type());
            long d = Verify.integer(op, "dimension");
            Verify.check(d >= 0 && d < in.rank(), op, "set_dimension_size", () -> "dimension " + d + " is out of range [0, " + in.rank() + ")");
            TensorType out = Verify.resultTensor(op, 0);
            Verify.check(out.rank() == in.rank() && Verify.sameElement(in.elementType(), out.elementType()), op, "set_dimension_size",
                    () -> "result must have the operand's rank and element type, got " + Verify.describe(op));
        }, null);
        def(r, "einsum", "legacy: Einstein summation of two tensors", Set.of("einsum_config"), einsum(2), op -> {
            Verify.arity(op, 2, 1);
            Verify.attr(op, "einsum_config", StringAttr.class, true);
        }, null);
        def(r, "unary_einsum", "legacy: Einstein summation of one tensor", Set.of("einsum_config"), einsum(1), op -> {
            Verify.arity(op, 1, 1);
            Verify.attr(op, "einsum_config", StringAttr.class, true);
        }, null);
        def(r, "torch_index_select", "legacy: torch.index_select", Set.of("dim", "batch_dims"), OpSyntax.GENERIC, op -> {
            Verify.arity(op, 2, 1);
            TensorType in = Verify.operandTensor(op, 0);
            long d = Verify.integer(op, "dim"), b = Verify.integer(op, "batch_dims");
            Verify.check(d >= 0 && d < in.rank(), op, "torch_index_select", () -> "dim " + d + " is out of range [0, " + in.rank() + ")");
            Verify.check(b >= 0 && b <= d, op, "torch_index_select", () -> "batch_dims " + b + " must be in [0, dim " + d + "]");
            Verify.check(Verify.isInt(Verify.operandTensor(op, 1).elementType()), op, "torch_index_select",
                    () -> "index must have integer elements, got " + op.operand(1).type());
        }, null);
    }

    /** {@code %x, %size, dim = 0 : (T, tensor<i32>) -> R}. */
    static final OpSyntax SET_DIMENSION_SIZE = Syntax.of((p, b) -> {
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        p.expect(",");
        Syntax.expectKeyEquals(p, "dim");
        b.property("dimension", Syntax.i64(p.parseInteger()));
        Syntax.parseAttrDict(p, b, Set.of("dimension"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands()).print(", dim = ").print(Long.toString(Syntax.intValue(op, "dimension")));
        Syntax.printAttrDict(p, op, "dimension");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "dimension", IntegerAttr.class));

    /** {@code %a[, %b], config = "ab,bc->ac" : (...) -> R}. */
    static OpSyntax einsum(int operands) {
        return Syntax.of((p, b) -> {
            List<OperandRef> refs = new ArrayList<>();
            for (int i = 0; i < operands; i++) {
                refs.add(p.parseOperand());
                p.expect(",");
            }
            Syntax.expectKeyEquals(p, "config");
            b.property("einsum_config", new StringAttr(p.parseString()));
            Syntax.parseAttrDict(p, b, Set.of("einsum_config"));
            p.expect(":");
            Syntax.parseFunctionalType(p, refs, b);
        }, (op, p) -> {
            p.print(" ").printOperands(op.operands()).print(", config = ").printString(((StringAttr) op.attr("einsum_config")).value());
            Syntax.printAttrDict(p, op, "einsum_config");
            Syntax.printColonFunctionalType(p, op);
        }, Syntax.form(operands, 1, "einsum_config", StringAttr.class));
    }

}
