package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.FloatType;
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
import static io.hlo4j.mlir.dialect.check.OpSupport.isFloatOrComplex;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/**
 * The check ops of StableHLO's interpreter tests ({@code stablehlo/tests/CheckOps.td}), with the assembly
 * formats upstream declares. Tolerances and ULP bounds are inherent attributes with upstream's types
 * ({@code f64}, {@code ui64}, {@code ui32}); their defaults (1e-4, max 1 / min 0 ULP, iteration 0) apply
 * when absent and are read by {@link CheckAttrs}.
 */
public final class CheckOps {
    private CheckOps() {}

    public static final String EXPECT_EQ = "check.expect_eq";
    public static final String EXPECT_EQ_CONST = "check.expect_eq_const";
    public static final String EXPECT_ALMOST_EQ = "check.expect_almost_eq";
    public static final String EXPECT_ALMOST_EQ_CONST = "check.expect_almost_eq_const";
    public static final String EXPECT_CLOSE = "check.expect_close";
    public static final String EXPECT_SERIALIZED_EQ = "check.expect_serialized_eq";

    private static final TypeInference NO_RESULTS = (operands, props, regions) -> List.of();

    static void register(OpRegistry r) {
        r.register(OpDef.builder(EXPECT_EQ).summary("checks that two tensors are exactly equal")
                .syntax(new TwoOperands(Set.of(), false)).verifier(CheckOps::verifyEq)
                .inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(EXPECT_ALMOST_EQ).summary("checks that two float tensors are equal within a tolerance")
                .inherent("tolerance").syntax(new TwoOperands(Set.of("tolerance"), true))
                .verifier(CheckOps::verifyAlmostEq).inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(EXPECT_EQ_CONST).summary("checks that a tensor equals a constant")
                .inherent("value").syntax(new OperandAndConst(Set.of("value"), false))
                .verifier(CheckOps::verifyEqConst).inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(EXPECT_ALMOST_EQ_CONST).summary("checks that a float tensor equals a constant within a tolerance")
                .inherent("value", "tolerance").syntax(new OperandAndConst(Set.of("value", "tolerance"), true))
                .verifier(CheckOps::verifyAlmostEqConst).inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(EXPECT_CLOSE).summary("checks that two float tensors are within a ULP distance")
                .inherent("max_ulp_difference", "min_ulp_difference").syntax(new Close())
                .verifier(CheckOps::verifyClose).inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
        r.register(OpDef.builder(EXPECT_SERIALIZED_EQ).summary("checks a tensor against a serialized probe")
                .inherent("probe_id", "iteration").syntax(new SerializedEq())
                .verifier(CheckOps::verifySerializedEq).inference(NO_RESULTS).traits(OpTrait.HAS_SIDE_EFFECT).build());
    }

    // ---- verifiers ------------------------------------------------------------------------------

    private static void verifyEq(Operation op) {
        expectOperands(op, 2);
        expectResults(op, 0);
        expectNoRegions(op);
        TensorType lhs = tensor(op, op.operand(0), "lhs");
        TensorType rhs = tensor(op, op.operand(1), "rhs");
        if (!lhs.equals(rhs)) throw fail(op, "requires the same type for all operands (SameTypeOperands), got " + lhs + " and " + rhs);
    }

    private static void verifyAlmostEq(Operation op) {
        verifyEq(op);
        requireFloatOrComplex(op, (TensorType) op.operand(0).type(), "lhs");
        verifyTolerance(op);
    }

    private static void verifyEqConst(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 0);
        expectNoRegions(op);
        TensorType lhs = tensor(op, op.operand(0), "lhs");
        DenseElementsAttr value = required(op, "value", DenseElementsAttr.class, "a dense elements attribute");
        if (!value.type().equals(lhs)) {
            throw fail(op, "requires lhs and value to have the same type (AllTypesMatch), got " + lhs + " and " + value.type());
        }
    }

    private static void verifyAlmostEqConst(Operation op) {
        verifyEqConst(op);
        requireFloatOrComplex(op, (TensorType) op.operand(0).type(), "lhs");
        verifyTolerance(op);
    }

    private static void verifyClose(Operation op) {
        expectOperands(op, 2);
        expectResults(op, 0);
        expectNoRegions(op);
        TensorType actual = tensor(op, op.operand(0), "actual");
        TensorType expected = tensor(op, op.operand(1), "expected");
        if (!actual.equals(expected)) {
            throw fail(op, "requires actual and expected to have the same type (AllTypesMatch), got " + actual + " and " + expected);
        }
        requireFloatOrComplex(op, actual, "actual");
        IntegerAttr max = optional(op, "max_ulp_difference", IntegerAttr.class, "a ui64 integer");
        IntegerAttr min = optional(op, "min_ulp_difference", IntegerAttr.class, "a ui64 integer");
        long maxUlp = max == null ? CheckAttrs.DEFAULT_MAX_ULP : max.value();
        long minUlp = min == null ? 0 : min.value();
        if (Long.compareUnsigned(minUlp, maxUlp) > 0) {
            throw fail(op, "min_ulp_difference (" + Long.toUnsignedString(minUlp) + ") must not exceed max_ulp_difference ("
                    + Long.toUnsignedString(maxUlp) + ")");
        }
    }

    private static void verifySerializedEq(Operation op) {
        expectOperands(op, 1);
        expectResults(op, 0);
        expectNoRegions(op);
        tensor(op, op.operand(0), "expected");
        StringAttr id = required(op, "probe_id", StringAttr.class, "a string");
        if (id.value().isEmpty()) throw fail(op, "probe_id must not be empty");
        optional(op, "iteration", IntegerAttr.class, "a ui32 integer");
    }

    private static void requireFloatOrComplex(Operation op, TensorType t, String role) {
        if (!isFloatOrComplex(t.elementType())) {
            throw fail(op, role + " must be a tensor of floating-point or complex elements, got " + t);
        }
    }

    private static void verifyTolerance(Operation op) {
        FloatAttr tol = optional(op, "tolerance", FloatAttr.class, "an f64 float");
        if (tol != null && !(tol.value() >= 0 && Double.isFinite(tol.value()))) {
            throw fail(op, "tolerance must be a finite, non-negative number, got " + tol.value());
        }
    }

    // ---- syntaxes -------------------------------------------------------------------------------

    /** {@code %lhs, %rhs (, tolerance = f)? attr-dict : type}. */
    private record TwoOperands(Set<String> inherent, boolean withTolerance) implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef lhs = p.parseOperand();
            p.expect(",");
            OperandRef rhs = p.parseOperand();
            Operation.Builder b = Operation.builder(opName);
            if (withTolerance) parseTolerance(p, b);
            addAttrDict(b, p.parseOptionalAttrDict(), inherent);
            p.expect(":");
            Type t = p.parseType();
            return b.operand(p.resolve(lhs, t)).operand(p.resolve(rhs, t));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", ").printOperand(op.operand(1));
            if (withTolerance) printTolerance(op, pr);
            pr.printOptionalAttrDict(allAttributes(op), inherent);
            pr.print(" : ").printType(op.operand(0).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 2; }
    }

    /** {@code %lhs, dense<...> : T (, tolerance = f)? attr-dict}. */
    private record OperandAndConst(Set<String> inherent, boolean withTolerance) implements OpSyntax {
        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef lhs = p.parseOperand();
            p.expect(",");
            Attribute value = p.parseAttribute();
            if (!(value instanceof DenseElementsAttr dense)) {
                throw p.error("'" + opName + "' expects a dense elements constant, got " + value);
            }
            Operation.Builder b = Operation.builder(opName).property("value", value);
            if (withTolerance) parseTolerance(p, b);
            addAttrDict(b, p.parseOptionalAttrDict(), inherent);
            return b.operand(p.resolve(lhs, dense.type()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", ").printAttribute(op.attr("value"));
            if (withTolerance) printTolerance(op, pr);
            pr.printOptionalAttrDict(allAttributes(op), inherent);
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.attr("value") instanceof DenseElementsAttr;
        }
    }

    /** {@code %a, %e, max_ulp_difference = N (, min_ulp_difference = M)? : attr-dict T, T}. */
    private static final class Close implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("max_ulp_difference", "min_ulp_difference");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef actual = p.parseOperand();
            p.expect(",");
            OperandRef expected = p.parseOperand();
            p.expect(",");
            p.expectKeyword("max_ulp_difference");
            p.expect("=");
            Operation.Builder b = Operation.builder(opName)
                    .property("max_ulp_difference", new IntegerAttr(p.parseInteger(), IntegerType.UI64));
            if (p.consumeIf(",")) {
                p.expectKeyword("min_ulp_difference");
                p.expect("=");
                b.property("min_ulp_difference", new IntegerAttr(p.parseInteger(), IntegerType.UI64));
            }
            p.expect(":");
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            Type ta = p.parseType();
            p.expect(",");
            Type te = p.parseType();
            return b.operand(p.resolve(actual, ta)).operand(p.resolve(expected, te));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", ").printOperand(op.operand(1));
            Attribute max = op.attr("max_ulp_difference");
            pr.print(", max_ulp_difference = ");
            if (max == null) pr.print(Long.toString(CheckAttrs.DEFAULT_MAX_ULP));
            else pr.printAttributeWithoutType(max);
            Attribute min = op.attr("min_ulp_difference");
            if (min != null) pr.print(", min_ulp_difference = ").printAttributeWithoutType(min);
            pr.print(" :").printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" ").printType(op.operand(0).type()).print(", ").printType(op.operand(1).type());
        }

        @Override public boolean canPrint(Operation op) { return op.numOperands() == 2; }
    }

    /** {@code %e, probe_id = "id" (, iter = N)? attr-dict : T}. */
    private static final class SerializedEq implements OpSyntax {
        private static final Set<String> INHERENT = Set.of("probe_id", "iteration");

        @Override public Operation.Builder parse(AsmParser p, String opName) {
            OperandRef expected = p.parseOperand();
            p.expect(",");
            p.expectKeyword("probe_id");
            p.expect("=");
            Operation.Builder b = Operation.builder(opName).property("probe_id", new StringAttr(p.parseString()));
            if (p.consumeIf(",")) {
                p.expectKeyword("iter");
                p.expect("=");
                b.property("iteration", new IntegerAttr(p.parseInteger(), IntegerType.UI32));
            }
            addAttrDict(b, p.parseOptionalAttrDict(), INHERENT);
            p.expect(":");
            return b.operand(p.resolve(expected, p.parseType()));
        }

        @Override public void print(Operation op, AsmPrinter pr) {
            pr.print(" ").printOperand(op.operand(0)).print(", probe_id = ");
            pr.printString(((StringAttr) op.attr("probe_id")).value());
            Attribute iter = op.attr("iteration");
            if (iter != null) pr.print(", iter = ").printAttributeWithoutType(iter);
            pr.printOptionalAttrDict(allAttributes(op), INHERENT);
            pr.print(" : ").printType(op.operand(0).type());
        }

        @Override public boolean canPrint(Operation op) {
            return op.numOperands() == 1 && op.attr("probe_id") instanceof StringAttr;
        }
    }

    private static void parseTolerance(AsmParser p, Operation.Builder b) {
        if (p.consumeIf(",")) {
            p.expectKeyword("tolerance");
            p.expect("=");
            b.property("tolerance", new FloatAttr(p.parseFloat(), FloatType.F64));
        }
    }

    private static void printTolerance(Operation op, AsmPrinter pr) {
        Attribute tol = op.attr("tolerance");
        if (tol != null) pr.print(", tolerance = ").printAttributeWithoutType(tol);
    }
}
