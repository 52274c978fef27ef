package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.addAttrDict;
import static io.hlo4j.mlir.dialect.check.OpSupport.allAttributes;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/**
 * {@code %values, %indices = chlo.top_k(%x, k = 2) : tensor<16x8xf32> -> (tensor<16x2xf32>, tensor<16x2xi32>)}:
 * the k largest entries along the last dimension and their i32 indices. {@code is_stable} defaults to true.
 */
public final class ChloTopKOp {
    private ChloTopKOp() {}

    public static final String NAME = "chlo.top_k";
    private static final Set<String> INHERENT = Set.of("k", "is_stable");

    static void register(OpRegistry r) {
        r.register(OpDef.builder(NAME).summary("the k largest elements of the last dimension and their indices")
                .inherent("k", "is_stable").syntax(new Syntax()).verifier(ChloTopKOp::verify)
                .inference((operands, props, regions) -> {
                    if (operands.size() != 1) throw ChloShapes.error(NAME, null, "expects 1 operand, got " + operands.size());
                    if (!(props.get("k") instanceof IntegerAttr k)) {
                        throw ChloShapes.error(NAME, null, props.get("k") == null ? "requires attribute 'k' (an i64 integer)"
                                : "attribute 'k' must be an i64 integer, got " + props.get("k"));
                    }
                    return infer(null, ChloShapes.tensor(NAME, operands, 0, "operand"), k.value());
                })
                .resultNamer(op -> new String[] {"values", "indices"}).build());
    }

    /** The number of elements kept per row. */
    public static long k(Operation op) { return required(op, "k", IntegerAttr.class, "an i64 integer").value(); }

    /** Whether ties keep the lower index first (the default when the attribute is absent). */
    public static boolean isStable(Operation op) {
        return !(op.attr("is_stable") instanceof BoolAttr b) || b.value();
    }

    /** The result types, after the op's checks on k and the operand ({@code op} null while inferring). */
    static List<Type> infer(Operation op, TensorType operand, long k) {
        if (operand.rank() < 1) throw ChloShapes.error(NAME, op, "operand's rank must be at least 1" + values(operand, k));
        int last = operand.rank() - 1;
        if (k < 0) throw ChloShapes.error(NAME, op, "k must be non-negative, got " + k + values(operand, k));
        if (!operand.isDynamicDim(last) && operand.dim(last) < k) {
            throw ChloShapes.error(NAME, op, "operand's last dimension must be at least " + k + values(operand, k));
        }
        long[] shape = operand.shape();
        shape[last] = k;
        return List.of(TensorType.of(operand.elementType(), shape), TensorType.of(IntegerType.I32, shape));
    }

    private static String values(TensorType operand, long k) { return "; operand " + operand + ", k = " + k; }

    private static void verify(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 2);
        expectNoRegions(op);
        TensorType in = tensor(op, op.operand(0), "operand");
        IntegerAttr k = required(op, "k", IntegerAttr.class, "an i64 integer");
        optional(op, "is_stable", BoolAttr.class, "a bool");
        List<Type> expected = infer(op, in, k.value());
        for (int i = 0; i < 2; i++) {
            TensorType got = tensor(op, op.result(i).type(), i == 0 ? "values" : "indices");
            TensorType want = (TensorType) expected.get(i);
            if (!ChloShapes.compatible(got, want)) {
                throw fail(op, "inferred type " + want + " is incompatible with " + (i == 0 ? "values" : "indices") + " type " + got);
            }
        }
    }

    /** {@code (%x, k = N (, is_stable = b)?) attr-dict : T -> (V, I)}. */
    private static final class Syntax implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            p.expect("(");
            OperandRef x = p.parseOperand();
            p.expect(",");
            p.expectKeyword("k");
            p.expect("=");
            Operation.Builder b = Operation.builder(opName).property("k", IntegerAttr.i64(p.parseInteger()));
            if (p.consumeIf(",")) {
                p.expectKeyword("is_stable");
                p.expect("=");
                String v = p.parseKeyword();
                if (!v.equals("true") && !v.equals("false")) throw p.error("expected true or false for is_stable, got '" + v + "'");
                b.property("is_stable", BoolAttr.of(v.equals("true")));
            }
            p.expect(")");
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            Type in = p.parseType();
            p.expect("->");
            p.expect("(");
            Type values = p.parseType();
            p.expect(",");
            Type indices = p.parseType();
            p.expect(")");
            return b.operand(p.resolve(x, in)).resultTypes(values, indices);
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print("(").printOperand(op.operand(0)).print(", k = ").printAttributeWithoutType(op.attr("k"));
            Attribute stable = op.attr("is_stable");
            if (stable != null) pr.print(", is_stable = ").printAttribute(stable);
            pr.print(")").printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.operand(0).type()).print(" -> (").printType(op.result(0).type()).print(", ")
                    .printType(op.result(1).type()).print(")");
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.numResults() == 2 && op.attr("k") instanceof IntegerAttr;
        }
    }
}
