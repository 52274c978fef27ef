package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.accumulatorTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.argTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.block;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatible;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatibleShapes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.expectRegions;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.requiredI64Array;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.returnTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensor;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensors;

/**
 * Ops with regions: reduce, while, if, case, sort, map, return and optimization_barrier here; the windowed and
 * scatter ops in {@link RegionWindowedOps}; custom_call and composite in {@link RegionCallOps}.
 */
final class RegionOps {
    private RegionOps() {}

    static void register(OpRegistry registry) {
        Set<String> reduceAttrs = Set.of("dimensions");
        registry.register(OpDef.builder("stablehlo.reduce").summary("Reduce operation")
                .inherent("dimensions").syntax(RegionSyntax.reduce(reduceAttrs))
                .verifier(RegionOps::verifyReduce).inference(RegionOps::inferReduce).build());
        registry.register(OpDef.builder("stablehlo.while").summary("While operation")
                .syntax(RegionSyntax.whileLoop(Set.of())).verifier(RegionOps::verifyWhile)
                .inferenceThatVerifies((operands, props, regions) -> {
                    checkWhile(null, operands, regions);
                    return List.copyOf(operands);
                })
                .blockArgumentNamer((op, region) -> iterArgNames(op, region)).build());
        registry.register(OpDef.builder("stablehlo.if").summary("If operation").syntax(OpSyntax.GENERIC)
                .verifier(RegionOps::verifyIf).inferenceThatVerifies((operands, props, regions) -> inferConditional("if", operands, regions)).build());
        registry.register(OpDef.builder("stablehlo.case").summary("Case operation").syntax(OpSyntax.GENERIC)
                .verifier(RegionOps::verifyCase).inferenceThatVerifies((operands, props, regions) -> inferConditional("case", operands, regions))
                .build());
        registry.register(OpDef.builder("stablehlo.sort").summary("Sort operation").inherent("dimension", "is_stable")
                .syntax(OpSyntax.GENERIC).verifier(RegionOps::verifySort)
                .inference((operands, props, regions) -> List.copyOf(operands)).build());
        registry.register(OpDef.builder("stablehlo.map").summary("Map operation").inherent("dimensions")
                .syntax(OpSyntax.GENERIC).verifier(RegionOps::verifyMap).inference(RegionOps::inferMap).build());
        registry.register(OpDef.builder("stablehlo.return").summary("Return operation (region terminator)")
                .syntax(MiscSyntax.returnOp(Set.of())).verifier(RegionOps::verifyReturn).traits(OpTrait.TERMINATOR).build());
        registry.register(OpDef.builder("stablehlo.optimization_barrier").summary("OptimizationBarrier operation")
                .syntax(MiscSyntax.optimizationBarrier(Set.of())).verifier(RegionOps::verifyOptimizationBarrier)
                .inference((operands, props, regions) -> List.copyOf(operands)).build());
        RegionWindowedOps.register(registry);
        RegionCallOps.register(registry);
    }

    /** Upstream names both while regions' arguments {@code iterArg} (uniqued by the printer). */
    private static String[] iterArgNames(Operation op, int region) {
        if (op.regions().size() <= region || op.region(region).isEmpty()) return null;
        String[] names = new String[op.region(region).entry().arguments().size()];
        Arrays.fill(names, "iterArg");
        return names;
    }

    // ---- reduce ------------------------------------------------------------------------------

    private static void verifyReduce(Operation op) {
        if (op.numOperands() == 0 || op.numOperands() % 2 != 0) {
            throw fail(op, "reduce_c3", "expects as many init_values as inputs and at least one input, but has "
                    + op.numOperands() + " operand(s)");
        }
        int n = op.numOperands() / 2;
        List<TensorType> inputs = tensors(op, op.operands().subList(0, n), "input", "reduce_i1");
        List<TensorType> inits = tensors(op, op.operands().subList(n, 2 * n), "init_value", "reduce_i2");
        long[] dims = requiredI64Array(op, "dimensions", "reduce_i3");
        long[] newShape = reducedShape(op, inputs, dims);
        expectRegions(op, 1, "reduce_i4");
        Block body = block(op, 0, "body", "reduce_i4");
        RegionChecks.verifyReducer(op, body, inputs, inits, newShape, "reduce_c6");
        if (op.numResults() != n) throw fail(op, "reduce_c7", "expects " + n + " results, but has " + op.numResults());
        List<TensorType> acc = accumulatorTypes(op.regions(), 0, inputs);
        for (int i = 0; i < n; i++) {
            TensorType r = tensor(op, op.resultTypes().get(i), "result #" + i, "reduce_c7");
            if (!compatibleShapes(r.shape(), newShape)) {
                throw fail(op, "reduce_c7", "result #" + i + " has shape " + r + " but reducing " + inputs.get(0)
                        + " across dimensions " + Arrays.toString(dims) + " gives " + shapeText(newShape));
            }
            if (!r.elementType().equals(acc.get(i).elementType())) {
                throw fail(op, "reduce_c8", "result #" + i + " has element type " + r.elementType()
                        + " but the body returns " + acc.get(i).elementType());
            }
        }
    }

    /** Input shape without the reduced dimensions (reduce_c1, reduce_c4, reduce_c5). */
    private static long[] reducedShape(Operation op, List<TensorType> inputs, long[] dims) {
        TensorType witness = inputs.get(0);
        for (int i = 1; i < inputs.size(); i++) {
            if (!compatibleShapes(witness.shape(), inputs.get(i).shape())) {
                throw fail(op, "reduce_c1", "expects all inputs to have compatible shapes. Shape at input-index " + i
                        + " is not compatible with shape at input-index 0");
            }
        }
        Set<Long> seen = new HashSet<>();
        for (long d : dims) {
            if (d < 0 || d >= witness.rank()) {
                throw fail(op, "reduce_c4", "Out-of-bounds dimension " + d + ", expected to be in range [0, " + witness.rank() + ")");
            }
            if (!seen.add(d)) throw fail(op, "reduce_c5", "Duplicate reduction dimension: " + d);
        }
        long[] out = new long[witness.rank() - dims.length];
        int k = 0;
        for (int i = 0; i < witness.rank(); i++) if (!seen.contains((long) i)) out[k++] = witness.dim(i);
        return out;
    }

    private static List<Type> inferReduce(List<Type> operands, DictionaryAttr props, List<Region> regions) {
        int n = operands.size() / 2;
        List<TensorType> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) inputs.add((TensorType) operands.get(i));
        long[] dims = ((DenseArrayAttr) props.get("dimensions")).longs();
        Set<Long> reduced = new HashSet<>();
        for (long d : dims) reduced.add(d);
        TensorType w = inputs.get(0);
        long[] shape = new long[w.rank() - reduced.size()];
        int k = 0;
        for (int i = 0; i < w.rank(); i++) if (!reduced.contains((long) i)) shape[k++] = w.dim(i);
        List<TensorType> acc = accumulatorTypes(regions, 0, inputs);
        List<Type> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(TensorType.of(acc.get(i).elementType(), shape));
        return out;
    }

    static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i] == TensorType.DYNAMIC ? "?" : shape[i]);
        return sb.append(']').toString();
    }

    // ---- while / if / case -------------------------------------------------------------------

    private static void verifyWhile(Operation op) {
        List<Type> operands = op.operandTypes();
        checkWhile(op, operands, op.regions());
        if (!compatible(operands, op.resultTypes())) {
            throw fail(op, "while_c3", "expect result types to match operand types but got " + op.resultTypes() + " vs " + operands);
        }
    }

    /**
     * while_i2..i3 and while_c1..c2: a cond and a body region taking the operands' types, the body returning them and
     * cond a tensor<i1>. Run by the verifier ({@code op} given) and the type inference ({@code op} null), whose
     * result types are then the operands' (while_c3).
     */
    private static void checkWhile(Operation op, List<Type> operands, List<Region> regions) {
        if (regions.size() != 2) throw ruleFail(op, "while", "while_i2", "expects 2 region(s), but has " + regions.size());
        Block cond = entryBlock(op, "while", regions, 0, "cond", "while_i2");
        Block body = entryBlock(op, "while", regions, 1, "body", "while_i3");
        if (!compatible(operands, argTypes(cond))) {
            throw ruleFail(op, "while", "while_c1", "expect operands to be compatible with condition block arguments but got "
                    + operands + " vs " + argTypes(cond));
        }
        if (!compatible(operands, argTypes(body))) {
            throw ruleFail(op, "while", "while_c2", "expect operands to be compatible with body block arguments but got "
                    + operands + " vs " + argTypes(body));
        }
        if (!compatible(operands, returnTypes(body))) {
            throw ruleFail(op, "while", "while_c2", "expect operands to be compatible with body block return types but got "
                    + operands + " vs " + returnTypes(body));
        }
        List<Type> condReturn = returnTypes(cond);
        if (condReturn.size() != 1) {
            throw ruleFail(op, "while", "while_c1", "expect condition body returns a single value but got " + condReturn.size());
        }
        if (!RegionChecks.isI1Scalar(condReturn.get(0))) {
            throw ruleFail(op, "while", "while_c1", "expect condition block return a zero-ranked tensor of i1 but got " + condReturn.get(0));
        }
    }

    /** The one terminated block of {@code regions[index]}, refused under {@code rule} otherwise (verifier or type rule). */
    private static Block entryBlock(Operation op, String prefix, List<Region> regions, int index, String regionName, String rule) {
        Region r = regions.get(index);
        if (r.blocks().size() != 1) {
            throw ruleFail(op, prefix, rule, "expects region '" + regionName + "' to have exactly one block, but it has " + r.blocks().size());
        }
        Block b = r.entry();
        if (b.terminator() == null) throw ruleFail(op, prefix, rule, "region '" + regionName + "' has no terminator");
        return b;
    }

    private static void verifyIf(Operation op) {
        checkSelector(op, "if", op.operandTypes(), op.regions().size());
        verifyBranches(op, "if");
    }

    private static void verifyCase(Operation op) {
        checkSelector(op, "case", op.operandTypes(), op.regions().size());
        verifyBranches(op, "case");
    }

    /**
     * if_i1 / case_i1 and case_c1: the one selector operand (tensor<i1> pred, tensor<i32> index) and some branch.
     * Run by the verifier ({@code op} given) and by the type inference ({@code op} null: no location yet).
     */
    private static void checkSelector(Operation op, String prefix, List<Type> operands, int branches) {
        boolean isIf = prefix.equals("if");
        boolean ok = operands.size() == 1 && (isIf ? RegionChecks.isI1Scalar(operands.get(0))
                : RegionChecks.isScalarOf(operands.get(0), IntegerType.I32));
        if (!ok) {
            throw ruleFail(op, prefix, prefix + "_i1", "expects one operand "
                    + (isIf ? "'pred' of type tensor<i1>" : "'index' of type tensor<i32>") + ", but got " + operands);
        }
        if (!isIf && branches == 0) throw ruleFail(op, prefix, "case_c1", "expect at least one branch");
    }

    /** The refusal as the verifier words it ({@code op} given) or as the type rule does, before the op exists ({@code op} null). */
    private static VerificationException ruleFail(Operation op, String prefix, String rule, String message) {
        if (op != null) return fail(op, rule, message);
        return new VerificationException("stablehlo." + prefix, message + " (" + rule + ")", Location.UNKNOWN);
    }

    /** case_c2..c4 / if_c1..c3: the branches' checks, and the results are compatible with what they return. */
    private static void verifyBranches(Operation op, String prefix) {
        List<Type> first = branchReturns(op, prefix, op.regions()).get(0);
        if (!compatible(first, op.resultTypes())) {
            throw fail(op, prefix + (prefix.equals("if") ? "_c3" : "_c4"), "result types " + op.resultTypes()
                    + " are not compatible with the branches' return types " + first);
        }
    }

    /**
     * if_i2 / case_i2, if_c1..c2 / case_c2..c3: each branch is one terminated block taking no arguments, and every
     * branch returns types compatible with branch 0's (as many, same element types, compatible dims). The return
     * types of each branch. Run by the verifier ({@code op} given) and the type inference ({@code op} null), so a
     * builder is refused by the same rule with the same words before the op exists.
     */
    private static List<List<Type>> branchReturns(Operation op, String prefix, List<Region> regions) {
        boolean isIf = prefix.equals("if");
        if (isIf && regions.size() != 2) throw ruleFail(op, prefix, "if_i2", "expects 2 region(s), but has " + regions.size());
        List<List<Type>> out = new ArrayList<>(regions.size());
        for (int i = 0; i < regions.size(); i++) {
            Block b = entryBlock(op, prefix, regions, i, "branch " + i, prefix + "_i2");
            if (!b.arguments().isEmpty()) {
                throw ruleFail(op, prefix, prefix + (isIf ? "_c1" : "_c2"), "branch " + i + " must have 0 arguments, but found "
                        + b.arguments().size());
            }
            List<Type> rt = returnTypes(b);
            if (!out.isEmpty() && !compatible(out.get(0), rt)) {
                throw ruleFail(op, prefix, prefix + (isIf ? "_c2" : "_c3"), "branch 0 and branch " + i + " have mismatched return types: "
                        + out.get(0) + " vs " + rt);
            }
            out.add(rt);
        }
        return out;
    }

    /** The least specific type of each branch result: a dim static in one branch and dynamic in another is dynamic. */
    private static List<Type> inferConditional(String prefix, List<Type> operands, List<Region> regions) {
        checkSelector(null, prefix, operands, regions.size());
        List<List<Type>> branches = branchReturns(null, prefix, regions);
        List<Type> out = new ArrayList<>(branches.get(0));
        for (List<Type> rt : branches.subList(1, branches.size())) {
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).equals(rt.get(i))) continue;
                if (out.get(i) instanceof TensorType a && rt.get(i) instanceof TensorType b) {
                    long[] s = a.shape();
                    for (int d = 0; d < s.length; d++) if (s[d] != b.dim(d)) s[d] = TensorType.DYNAMIC;
                    out.set(i, TensorType.of(a.elementType(), s));
                }
            }
        }
        return out;
    }

    // ---- sort / map --------------------------------------------------------------------------

    private static void verifySort(Operation op) {
        if (op.numOperands() == 0) throw fail(op, "sort_c1", "expects at least one input");
        List<TensorType> inputs = tensors(op, op.operands(), "input", "sort_i1");
        for (int i = 1; i < inputs.size(); i++) {
            if (!compatibleShapes(inputs.get(0).shape(), inputs.get(i).shape())) {
                throw fail(op, "sort_c1", "all inputs must have the same shape, but input #" + i + " is " + inputs.get(i)
                        + " and input #0 is " + inputs.get(0));
            }
        }
        long dim = RegionChecks.integer(op, "dimension", -1, "sort_i2");
        RegionChecks.bool(op, "is_stable", "sort_i3");
        int rank = inputs.get(0).rank();
        if (dim < -rank || dim >= rank) {
            throw fail(op, "sort_c4", "dimension attribute value must be in range [-" + rank + ", " + rank + "), but found " + dim);
        }
        expectRegions(op, 1, "sort_i4");
        Block b = block(op, 0, "comparator", "sort_i4");
        int n = inputs.size();
        if (b.arguments().size() != 2 * n) throw fail(op, "sort_c5", "comparator block should have " + 2 * n + " arguments");
        for (int i = 0; i < n; i++) {
            TensorType expected = TensorType.scalar(inputs.get(i).elementType());
            for (int a : new int[] {2 * i, 2 * i + 1}) {
                if (!b.argument(a).type().equals(expected)) {
                    throw fail(op, "sort_c5", "comparator block argument #" + a + " should be of type " + expected
                            + " but got " + b.argument(a).type());
                }
            }
        }
        List<Type> rt = returnTypes(b);
        if (rt.size() != 1) throw fail(op, "sort_c5", "comparator must return single output but got " + rt.size());
        if (!RegionChecks.isI1Scalar(rt.get(0))) throw fail(op, "sort_c5", "comparator must return tensor<i1> but got " + rt.get(0));
        if (!op.resultTypes().equals(op.operandTypes())) {
            throw fail(op, "sort_c2", "result types " + op.resultTypes() + " must equal the input types " + op.operandTypes());
        }
    }

    private static void verifyMap(Operation op) {
        if (op.numOperands() == 0) throw fail(op, "map_i1", "expects at least one input");
        List<TensorType> inputs = tensors(op, op.operands(), "input", "map_i1");
        long[] dims = requiredI64Array(op, "dimensions", "map_i2");
        expectRegions(op, 1, "map_i3");
        Block b = block(op, 0, "computation", "map_i3");
        if (b.arguments().size() != inputs.size()) {
            throw fail(op, "map_c4", "expects number of operands to match the arity of map computation, but got: "
                    + inputs.size() + " and " + b.arguments().size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            Type at = b.argument(i).type();
            if (!(at instanceof TensorType t) || t.rank() != 0) {
                throw fail(op, "map_c4", "computation arguments must be 0-rank tensor, but got: arg #" + i + " of type " + at);
            }
            if (!t.elementType().equals(inputs.get(i).elementType())) {
                throw fail(op, "map_c4", "element type of operands and computation arguments must match, but got: "
                        + inputs.get(i).elementType() + " and " + t.elementType());
            }
        }
        List<Type> outs = returnTypes(b);
        if (outs.size() != 1) throw fail(op, "map_c4", "computation must return single output, but got: " + outs.size());
        if (!(outs.get(0) instanceof TensorType ot) || ot.rank() != 0) {
            throw fail(op, "map_c4", "computation must return 0-rank tensor, but got: " + outs.get(0));
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] != i) {
                throw fail(op, "map_c3", "requires monotonically increasing dimension numbers, but got: " + Arrays.toString(dims));
            }
        }
        for (TensorType in : inputs) {
            if (in.rank() != dims.length) {
                throw fail(op, "map_c3", "applied to a subset of dimensions currently not supported: operand dimensions = "
                        + in.rank() + ", requested map dimensions size = " + dims.length);
            }
            if (!compatibleShapes(in.shape(), inputs.get(0).shape())) {
                throw fail(op, "map_c1", "all inputs must have the same shape, but got " + in + " and " + inputs.get(0));
            }
        }
        if (op.numResults() != 1) throw fail(op, "map_c4", "expects one result, but has " + op.numResults());
        TensorType r = tensor(op, op.resultTypes().get(0), "result", "map_c4");
        if (!compatibleShapes(r.shape(), inputs.get(0).shape()) || !r.elementType().equals(ot.elementType())) {
            throw fail(op, "map_c4", "result type " + r + " must have the inputs' shape and the computation's element type "
                    + ot.elementType());
        }
    }

    private static List<Type> inferMap(List<Type> operands, DictionaryAttr props, List<Region> regions) {
        TensorType in = (TensorType) operands.get(0);
        ElementType et = ((TensorType) returnTypes(regions.get(0).entry()).get(0)).elementType();
        return List.of(TensorType.of(et, in.shape()));
    }

    // ---- return / optimization_barrier -------------------------------------------------------

    private static void verifyReturn(Operation op) {
        Block parent = op.parent();
        if (parent != null && parent.terminator() != op) {
            throw fail(op, "terminator", "must be the last operation in its block");
        }
    }

    private static void verifyOptimizationBarrier(Operation op) {
        if (!op.operandTypes().equals(op.resultTypes())) {
            throw fail(op, "optimization_barrier_c1", "result types " + op.resultTypes() + " must equal operand types "
                    + op.operandTypes());
        }
        for (Type t : op.operandTypes()) {
            if (!(t instanceof TensorType) && !(t instanceof TokenType)) {
                throw fail(op, "optimization_barrier_i1", "operands must be tensors or tokens, but got " + t);
            }
        }
    }
}
