package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpVerifier;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Shape and data movement ops: broadcast_in_dim, reshape, transpose, slice, pad, concatenate, reverse, the
 * dynamic_* family, get_dimension_size, bitcast_convert, gather, tuple and get_tuple_element. The dot,
 * convolution and linear-algebra ops are in {@link DotConvOps}.
 */
final class DataMovementOps {
    private DataMovementOps() {}

    static void register(OpRegistry r) {
        def(r, "broadcast_in_dim", "expands a tensor's dimensions and rank", Set.of("broadcast_dimensions"),
                dimsSyntax(0, "dims", "broadcast_dimensions", false), DataMovementOps::verifyBroadcastInDim, null);
        def(r, "dynamic_broadcast_in_dim", "broadcast_in_dim to a runtime shape",
                Set.of("broadcast_dimensions", "known_expanding_dimensions", "known_nonexpanding_dimensions"),
                dimsSyntax(1, "dims", "broadcast_dimensions", false), DataMovementOps::verifyDynamicBroadcastInDim, null);
        defRule(r, "transpose", "permutes dimensions", Set.of("permutation"),
                dimsSyntax(0, "dims", "permutation", false), DataMovementOps::verifyTranspose, DataMovementOps::inferTranspose);
        def(r, "reverse", "reverses the order of elements along dimensions", Set.of("dimensions"),
                dimsSyntax(0, "dims", "dimensions", true), DataMovementOps::verifyReverse, ElementwiseOps.SAME_AS_FIRST);
        def(r, "reshape", "changes the shape, keeping the elements in order", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), DataMovementOps::verifyReshape, null);
        def(r, "bitcast_convert", "reinterprets the bits of each element", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), DataMovementOps::verifyBitcastConvert, null);
        def(r, "dynamic_reshape", "reshape to a runtime shape", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), op -> {
                    Verify.arity(op, 2, 1);
                    TensorType in = Verify.operandTensor(op, 0), shape = Verify.operandTensor(op, 1), out = Verify.resultTensor(op, 0);
                    Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "dynamic_reshape_c1",
                            () -> "operand and result must have the same element type, got " + Verify.describe(op));
                    checkShapeOperand(op, "dynamic_reshape_c2", "output_shape", shape, out.rank());
                    if (in.hasStaticShape() && out.hasStaticShape()) {
                        Verify.check(in.numElements() == out.numElements(), op, "dynamic_reshape_c3",
                                () -> "operand and result must have the same number of elements, got " + Verify.describe(op));
                    }
                }, null);
        def(r, "real_dynamic_slice", "slice with runtime start, limit and stride tensors", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), op -> {
                    Verify.arity(op, 4, 1);
                    TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
                    Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "real_dynamic_slice_c1",
                            () -> "operand and result must have the same element type, got " + Verify.describe(op));
                    for (int i = 1; i < 4; i++) checkShapeOperand(op, "real_dynamic_slice_c2", "operand #" + i, Verify.operandTensor(op, i), in.rank());
                }, null);
        def(r, "dynamic_pad", "pad with runtime padding amounts", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), op -> {
                    Verify.arity(op, 5, 1);
                    TensorType in = Verify.operandTensor(op, 0), pv = Verify.operandTensor(op, 1), out = Verify.resultTensor(op, 0);
                    Verify.check(pv.rank() == 0, op, "dynamic_pad_c1", () -> "padding_value must be a scalar, got " + pv);
                    Verify.check(Verify.sameElement(in.elementType(), out.elementType()) && Verify.sameElement(pv.elementType(), in.elementType()),
                            op, "dynamic_pad_c1", () -> "operand, padding_value and result must have the same element type, got " + Verify.describe(op));
                    for (int i = 2; i < 5; i++) checkShapeOperand(op, "dynamic_pad_c2", "operand #" + i, Verify.operandTensor(op, i), in.rank());
                }, null);
        defRule(r, "dynamic_update_slice", "overwrites a slice at runtime indices", Set.of(),
                ElementwiseOps.functionalSyntax(Set.of()), DataMovementOps::verifyDynamicUpdateSlice, DataMovementOps::inferDynamicUpdateSlice);
        defRule(r, "slice", "extracts a static strided slice", Set.of("start_indices", "limit_indices", "strides"),
                SLICE, DataMovementOps::verifySlice, DataMovementOps::inferSlice);
        defRule(r, "pad", "pads edges and between elements", Set.of("edge_padding_low", "edge_padding_high", "interior_padding"),
                PAD, DataMovementOps::verifyPad, DataMovementOps::inferPad);
        defRule(r, "concatenate", "joins tensors along a dimension", Set.of("dimension"),
                CONCATENATE, DataMovementOps::verifyConcatenate, DataMovementOps::inferConcatenate);
        defRule(r, "dynamic_slice", "extracts a slice at runtime start indices", Set.of("slice_sizes"),
                DYNAMIC_SLICE, DataMovementOps::verifyDynamicSlice, DataMovementOps::inferDynamicSlice);
        def(r, "dynamic_iota", "iota with a runtime shape", Set.of("iota_dimension"),
                dimAttrSyntax("iota_dimension"), op -> {
                    Verify.arity(op, 1, 1);
                    TensorType out = Verify.resultTensor(op, 0);
                    checkShapeOperand(op, "dynamic_iota_c1", "output_shape", Verify.operandTensor(op, 0), out.rank());
                    long d = Verify.integer(op, "iota_dimension");
                    Verify.check(d >= 0 && d < out.rank(), op, "dynamic_iota_c1",
                            () -> "iota_dimension " + d + " is out of range [0, " + out.rank() + ") of " + out);
                }, null);
        def(r, "get_dimension_size", "the size of one dimension as a tensor<i32>", Set.of("dimension"),
                dimAttrSyntax("dimension"), op -> {
                    Verify.arity(op, 1, 1);
                    TensorType in = Verify.operandTensor(op, 0);
                    long d = Verify.integer(op, "dimension");
                    Verify.check(d >= 0 && d < in.rank(), op, "get_dimension_size_c1",
                            () -> "dimension " + d + " is out of range [0, " + in.rank() + ") of " + in);
                    Verify.check(Verify.resultTensor(op, 0).equals(TensorType.scalar(IntegerType.I32)), op, "get_dimension_size_c2",
                            () -> "result must be tensor<i32>, got " + op.result().type());
                }, (ts, props, regions) -> List.of(TensorType.scalar(IntegerType.I32)));
        def(r, "gather", "gathers slices at runtime indices", Set.of("dimension_numbers", "slice_sizes", "indices_are_sorted"),
                OpSyntax.GENERIC, GatherVerifier::verifyGather, GatherVerifier::inferGather);
        def(r, "dynamic_gather", "gather with runtime slice sizes", Set.of("dimension_numbers", "indices_are_sorted"),
                OpSyntax.GENERIC, GatherVerifier::verifyDynamicGather, null);
        def(r, "tuple", "packs values into a tuple", Set.of(), TUPLE, op -> {
            Verify.results(op, 1);
            Type t = op.result().type();
            Verify.check(t instanceof TupleType tt && tt.types().equals(op.operandTypes()), op, "tuple_c1",
                    () -> "result must be tuple of the operand types, got " + Verify.describe(op));
        }, (ts, props, regions) -> List.of(new TupleType(ts)));
        def(r, "get_tuple_element", "extracts one element of a tuple", Set.of("index"), GET_TUPLE_ELEMENT, op -> {
            Verify.arity(op, 1, 1);
            if (!(op.operand(0).type() instanceof TupleType tt)) throw Verify.fail(op, "get_tuple_element_i1", "operand must be a tuple, got " + op.operand(0).type());
            long i = Verify.integer(op, "index");
            Verify.check(i >= 0 && i < tt.types().size(), op, "get_tuple_element_c1",
                    () -> "index " + i + " is out of range [0, " + tt.types().size() + ") of " + tt);
            Verify.check(tt.types().get((int) i).equals(op.result().type()), op, "get_tuple_element_c2",
                    () -> "result must be element " + i + " of " + tt + ", got " + op.result().type());
        }, (ts, props, regions) -> List.of(((TupleType) ts.get(0)).types().get((int) ((IntegerAttr) props.get("index")).value())));

        DotConvOps.register(r);
        LegacyShapeOps.register(r);
    }

    static void def(OpRegistry r, String mnemonic, String summary, Set<String> inherent, OpSyntax syntax,
                    OpVerifier verifier, TypeInference inference) {
        r.register(OpDef.builder("stablehlo." + mnemonic).summary(summary).inherent(inherent.toArray(String[]::new))
                .syntax(syntax).verifier(verifier).inference(inference).build());
    }

    /**
     * An op whose verifier is its type rule plus "the result is the rule's type" (arity, operand tensors and properties
     * are checked alike by both): a builder that inferred the result skips the verifier (see {@link OpDef#inferenceVerifies}).
     */
    static void defRule(OpRegistry r, String mnemonic, String summary, Set<String> inherent, OpSyntax syntax,
                        OpVerifier verifier, TypeInference inference) {
        r.register(OpDef.builder("stablehlo." + mnemonic).summary(summary).inherent(inherent.toArray(String[]::new))
                .syntax(syntax).verifier(verifier).inferenceThatVerifies(inference).build());
    }

    /** A 1-D integer shape operand with {@code rank} elements (when static). */
    static void checkShapeOperand(Operation op, String rule, String what, TensorType shape, int rank) {
        Verify.check(shape.rank() == 1 && Verify.isInt(shape.elementType()), op, rule, () -> what + " must be a 1-D integer tensor, got " + shape);
        Verify.check(shape.isDynamicDim(0) || shape.dim(0) == rank, op, rule,
                () -> what + " must have " + rank + " elements, got " + shape);
    }

    // ---- syntaxes ---------------------------------------------------------------------------------

    /**
     * {@code %x[, %y...], <kw> = [..] attr-dict : T}: {@code extra} more operands before the keyword; the type
     * is functional, or SameOperandsAndResultType when {@code sameType}.
     */
    static OpSyntax dimsSyntax(int extra, String keyword, String attr, boolean sameType) {
        return Syntax.of((p, b) -> {
            List<OperandRef> refs = new ArrayList<>();
            refs.add(p.parseOperand());
            for (int i = 0; i < extra; i++) {
                p.expect(",");
                refs.add(p.parseOperand());
            }
            p.expect(",");
            Syntax.expectKeyEquals(p, keyword);
            b.property(attr, Syntax.parseI64List(p));
            Syntax.parseAttrDict(p, b, Set.of(attr, "known_expanding_dimensions", "known_nonexpanding_dimensions"));
            p.expect(":");
            if (sameType) Syntax.parseSameOperandsAndResultType(p, refs, b);
            else Syntax.parseFunctionalType(p, refs, b);
        }, (op, p) -> {
            p.print(" ").printOperands(op.operands()).print(", " + keyword + " = ").print(Syntax.i64List(Syntax.i64Array(op, attr)));
            Syntax.printAttrDict(p, op, attr);
            if (sameType) Syntax.printColonSameType(p, op);
            else Syntax.printColonFunctionalType(p, op);
        }, Syntax.form(1 + extra, 1, attr, DenseArrayAttr.class));
    }

    /** {@code %x, dim = 1 attr-dict : (T) -> R}. */
    static OpSyntax dimAttrSyntax(String attr) {
        return Syntax.of((p, b) -> {
            OperandRef x = p.parseOperand();
            p.expect(",");
            Syntax.expectKeyEquals(p, "dim");
            b.property(attr, Syntax.i64(p.parseInteger()));
            Syntax.parseAttrDict(p, b, Set.of(attr));
            p.expect(":");
            Syntax.parseFunctionalType(p, List.of(x), b);
        }, (op, p) -> {
            p.print(" ").printOperand(op.operand(0)).print(", dim = ").print(Long.toString(Syntax.intValue(op, attr)));
            Syntax.printAttrDict(p, op, attr);
            Syntax.printColonFunctionalType(p, op);
        }, Syntax.form(1, 1, attr, IntegerAttr.class));
    }

    /** {@code %x [0:16, 0:512:2] : (T) -> R}: start:limit[:stride], stride printed only when not 1. */
    static final OpSyntax SLICE = Syntax.of((p, b) -> {
        OperandRef x = p.parseOperand();
        p.expect("[");
        List<long[]> ranges = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do {
                long start = p.parseInteger();
                p.expect(":");
                long limit = p.parseInteger();
                long stride = p.consumeIf(":") ? p.parseInteger() : 1;
                ranges.add(new long[]{start, limit, stride});
            } while (p.consumeIf(","));
            p.expect("]");
        }
        long[][] cols = new long[3][ranges.size()];
        for (int i = 0; i < ranges.size(); i++) for (int k = 0; k < 3; k++) cols[k][i] = ranges.get(i)[k];
        b.property("start_indices", DenseArrayAttr.ofI64(cols[0]));
        b.property("limit_indices", DenseArrayAttr.ofI64(cols[1]));
        b.property("strides", DenseArrayAttr.ofI64(cols[2]));
        Syntax.parseAttrDict(p, b, Set.of("start_indices", "limit_indices", "strides"));
        p.expect(":");
        Syntax.parseFunctionalType(p, List.of(x), b);
    }, (op, p) -> {
        DenseArrayAttr s = Syntax.i64Array(op, "start_indices"), l = Syntax.i64Array(op, "limit_indices"), st = Syntax.i64Array(op, "strides");
        StringBuilder sb = new StringBuilder(" [");
        if (s.size() != l.size() || s.size() != st.size()) {
            sb.append("start_indices: ").append(Syntax.i64List(s), 1, Syntax.i64List(s).length() - 1)
                    .append(", limit_indices: ").append(Syntax.i64List(l), 1, Syntax.i64List(l).length() - 1)
                    .append(", strides: ").append(Syntax.i64List(st), 1, Syntax.i64List(st).length() - 1);
        } else {
            for (int i = 0; i < s.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(s.getLong(i)).append(':').append(l.getLong(i));
                if (st.getLong(i) != 1) sb.append(':').append(st.getLong(i));
            }
        }
        p.print(" ").printOperand(op.operand(0)).print(sb.append(']').toString());
        Syntax.printAttrDict(p, op, "start_indices", "limit_indices", "strides");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(1, 1, "start_indices", DenseArrayAttr.class, "limit_indices", DenseArrayAttr.class, "strides", DenseArrayAttr.class));

    private static final String[][] PAD_KEYS = {
            {"low", "edge_padding_low"}, {"high", "edge_padding_high"}, {"interior", "interior_padding"}};

    /** {@code %x, %v, low = [..], high = [..], interior = [..] : (T, S) -> R}. */
    static final OpSyntax PAD = Syntax.of((p, b) -> {
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        for (String[] kv : PAD_KEYS) {
            p.expect(",");
            Syntax.expectKeyEquals(p, kv[0]);
            b.property(kv[1], Syntax.parseI64List(p));
        }
        Syntax.parseAttrDict(p, b, Set.of("edge_padding_low", "edge_padding_high", "interior_padding"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands());
        for (String[] kv : PAD_KEYS) p.print(", " + kv[0] + " = ").print(Syntax.i64List(Syntax.i64Array(op, kv[1])));
        Syntax.printAttrDict(p, op, "edge_padding_low", "edge_padding_high", "interior_padding");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "edge_padding_low", DenseArrayAttr.class, "edge_padding_high", DenseArrayAttr.class, "interior_padding", DenseArrayAttr.class));

    /** {@code %a, %b, dim = 0 : (A, B) -> R}. */
    static final OpSyntax CONCATENATE = Syntax.of((p, b) -> {
        List<OperandRef> refs = Syntax.parseOperandsEachWithComma(p);
        Syntax.expectKeyEquals(p, "dim");
        b.property("dimension", Syntax.i64(p.parseInteger()));
        Syntax.parseAttrDict(p, b, Set.of("dimension"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        if (op.numOperands() > 0) p.print(" ").printOperands(op.operands()).print(",");
        p.print(" dim = ").print(Long.toString(Syntax.intValue(op, "dimension")));
        Syntax.printAttrDict(p, op, "dimension");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(-1, 1, "dimension", IntegerAttr.class));

    /** {@code %x, %i0, %i1, sizes = [..] : (...) -> R}. */
    static final OpSyntax DYNAMIC_SLICE = Syntax.of((p, b) -> {
        OperandRef x = p.parseOperand();
        p.expect(",");
        List<OperandRef> refs = new ArrayList<>();
        refs.add(x);
        refs.addAll(Syntax.parseOperandsEachWithComma(p));
        Syntax.expectKeyEquals(p, "sizes");
        b.property("slice_sizes", Syntax.parseI64List(p));
        Syntax.parseAttrDict(p, b, Set.of("slice_sizes"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print(" ").printOperand(op.operand(0)).print(",");
        for (int i = 1; i < op.numOperands(); i++) p.print(" ").printOperand(op.operand(i)).print(",");
        p.print(" sizes = ").print(Syntax.i64List(Syntax.i64Array(op, "slice_sizes")));
        Syntax.printAttrDict(p, op, "slice_sizes");
        Syntax.printColonFunctionalType(p, op);
    }, op -> op.numOperands() >= 1 && Syntax.form(-1, 1, "slice_sizes", DenseArrayAttr.class).test(op));

    /** {@code %a, %b : tuple<A, B>}. */
    static final OpSyntax TUPLE = Syntax.of((p, b) -> {
        List<OperandRef> refs = p.parseOperandList();
        Syntax.parseAttrDict(p, b, Set.of());
        p.expect(":");
        Type t = p.parseType();
        if (!(t instanceof TupleType tt)) throw p.error("expected tuple type, got " + t);
        b.operands(p.resolve(refs, tt.types())).resultType(t);
    }, (op, p) -> {
        Syntax.printOperands(p, op.operands());
        Syntax.printAttrDict(p, op);
        p.print(" : ").printType(op.result().type());
    }, Syntax.form(-1, 1));

    /** {@code %t[0] : (tuple<...>) -> T}. */
    static final OpSyntax GET_TUPLE_ELEMENT = Syntax.of((p, b) -> {
        OperandRef t = p.parseOperand();
        p.expect("[");
        b.property("index", IntegerAttr.i32(p.parseInteger()));
        p.expect("]");
        Syntax.parseAttrDict(p, b, Set.of("index"));
        p.expect(":");
        Syntax.parseFunctionalType(p, List.of(t), b);
    }, (op, p) -> {
        p.print(" ").printOperand(op.operand(0)).print("[" + Syntax.intValue(op, "index") + "]");
        Syntax.printAttrDict(p, op, "index");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(1, 1, "index", IntegerAttr.class));

    // ---- verifiers and inference ----------------------------------------------------------------------

    private static void verifyBroadcastInDim(Operation op) {
        Verify.arity(op, 1, 1);
        checkBroadcast(op, "broadcast_in_dim", Verify.operandTensor(op, 0), Verify.resultTensor(op, 0));
    }

    private static void verifyDynamicBroadcastInDim(Operation op) {
        Verify.arity(op, 2, 1);
        TensorType out = Verify.resultTensor(op, 0);
        checkBroadcast(op, "dynamic_broadcast_in_dim", Verify.operandTensor(op, 0), out);
        checkShapeOperand(op, "dynamic_broadcast_in_dim_c7", "output_dimensions", Verify.operandTensor(op, 1), out.rank());
    }

    private static void checkBroadcast(Operation op, String name, TensorType in, TensorType out) {
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, name + "_c1",
                () -> "operand and result must have the same element type, got " + Verify.describe(op));
        long[] dims = Verify.i64Array(op, "broadcast_dimensions", true).longs();
        Verify.check(dims.length == in.rank(), op, name + "_c2",
                () -> "broadcast_dimensions must have " + in.rank() + " entries (the operand rank), got " + dims.length);
        for (long d : dims) {
            Verify.check(d >= 0 && d < out.rank(), op, name + "_c3",
                    () -> "broadcast dimension " + d + " is out of range [0, " + out.rank() + ")");
        }
        Verify.dimsInRange(op, name + "_c4", "broadcast dimension", dims, out.rank());
        for (int i = 0; i < dims.length; i++) {
            long di = in.dim(i), dr = out.dim((int) dims[i]);
            if (in.isDynamicDim(i) || out.isDynamicDim((int) dims[i])) continue;
            if (di != 1 && di != dr) {
                throw Verify.fail(op, name + "_c5", "operand dimension " + i + " (size " + di + ") must be 1 or equal result dimension "
                        + dims[i] + " (size " + dr + ")");
            }
        }
    }

    private static void verifyTranspose(Operation op) {
        Verify.arity(op, 1, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        TensorType want = transposeType(OpCheck.of(op), in, Verify.i64Array(op, "permutation", true).longs());
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "transpose_c1",
                () -> "operand and result must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.compatibleShapes(want, out), op, "transpose_c3",
                () -> "result shape must be the permuted operand shape " + want + ", got " + out);
    }

    /** transpose C2 and the result type (C3): result dim i is operand dim permutation[i]. */
    static TensorType transposeType(OpCheck c, TensorType in, long[] perm) {
        Supplier<String> values = () -> "; operand " + in + ", permutation " + OpCheck.list(perm);
        c.check(perm.length == in.rank(), "transpose_c2", () -> "permutation must have " + in.rank() + " entries, got " + perm.length + values.get());
        c.dimsInRange("transpose_c2", "permutation entry", perm, in.rank(), values);
        long[] s = new long[perm.length];
        for (int i = 0; i < perm.length; i++) s[i] = in.dim((int) perm[i]);
        return TensorType.of(in.elementType(), s);
    }

    private static List<Type> inferTranspose(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.transpose");
        c.operands(ts, 1);
        return List.of(transposeType(c, c.tensor(ts, 0), c.i64Array(props, "permutation")));
    }
    private static void verifyReverse(Operation op) {
        Verify.arity(op, 1, 1);
        TensorType in = Verify.operandTensor(op, 0);
        Verify.check(Verify.compatible(in, Verify.resultTensor(op, 0)), op, "reverse_c1",
                () -> "operand and result must have the same type, got " + Verify.describe(op));
        Verify.dimsInRange(op, "reverse_c2", "dimension", Verify.i64Array(op, "dimensions", true).longs(), in.rank());
    }

    private static void verifyReshape(Operation op) {
        Verify.arity(op, 1, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "reshape_c1",
                () -> "operand and result must have the same element type, got " + Verify.describe(op));
        if (in.hasStaticShape() && out.hasStaticShape()) {
            Verify.check(in.numElements() == out.numElements(), op, "reshape_c2",
                    () -> "operand and result must have the same number of elements, got " + Verify.describe(op));
        }
    }

    private static void verifyBitcastConvert(Operation op) {
        Verify.arity(op, 1, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        int a = bits(in), b = bits(out);
        // Compare total bits: a wider element grows a trailing dimension of size width ratio in the other.
        if (a == b) {
            Verify.check(Verify.compatibleShapes(in, out), op, "bitcast_convert_c1",
                    () -> "same-width bitcast must keep the shape, got " + Verify.describe(op));
        } else if (a > b) {
            Verify.check(out.rank() == in.rank() + 1 && (out.isDynamicDim(out.rank() - 1) || out.dim(out.rank() - 1) == a / b), op,
                    "bitcast_convert_c1", () -> "narrowing bitcast must add a trailing dimension of size " + a / b + ", got " + Verify.describe(op));
        } else {
            Verify.check(in.rank() == out.rank() + 1 && (in.isDynamicDim(in.rank() - 1) || in.dim(in.rank() - 1) == b / a), op,
                    "bitcast_convert_c1", () -> "widening bitcast must drop a trailing dimension of size " + b / a + ", got " + Verify.describe(op));
        }
    }

    /** Bit width of an element (complex counts both parts; quantized by storage). */
    static int bits(TensorType t) {
        return switch (t.elementType()) {
            case IntegerType i -> i.width();
            case io.hlo4j.mlir.types.FloatType f -> f.bitWidth();
            case io.hlo4j.mlir.types.ComplexType c -> 2 * c.elementType().bitWidth();
            case io.hlo4j.mlir.types.QuantizedType q -> q.storageType().width();
            default -> 64;
        };
    }

    private static void verifySlice(Operation op) {
        Verify.arity(op, 1, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        TensorType want = sliceType(OpCheck.of(op), in, Verify.i64Array(op, "start_indices", true).longs(),
                Verify.i64Array(op, "limit_indices", true).longs(), Verify.i64Array(op, "strides", true).longs());
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "slice_c1",
                () -> "operand and result must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.compatibleShapes(want, out), op, "slice_c5", () -> "result shape must be " + want + ", got " + out);
    }

    /** slice C2-C4 and the result type (C5): ceil((limit - start) / stride) per dim. */
    static TensorType sliceType(OpCheck c, TensorType in, long[] s, long[] l, long[] st) {
        Supplier<String> values = () -> "; operand " + in + ", start_indices " + OpCheck.list(s) + ", limit_indices " + OpCheck.list(l)
                + ", strides " + OpCheck.list(st);
        c.check(s.length == in.rank() && l.length == in.rank() && st.length == in.rank(), "slice_c2",
                () -> "start_indices, limit_indices and strides must each have " + in.rank() + " entries" + values.get());
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) throw c.fail("slice_c3", "start_indices[" + i + "] = " + s[i] + " must be >= 0" + values.get());
            if (l[i] < s[i]) throw c.fail("slice_c3", "limit_indices[" + i + "] = " + l[i] + " must be >= start " + s[i] + values.get());
            if (!in.isDynamicDim(i) && l[i] > in.dim(i)) {
                throw c.fail("slice_c3", "limit_indices[" + i + "] = " + l[i] + " exceeds dimension size " + in.dim(i) + values.get());
            }
            if (st[i] <= 0) throw c.fail("slice_c4", "strides[" + i + "] = " + st[i] + " must be > 0" + values.get());
            shape[i] = Math.ceilDiv(l[i] - s[i], st[i]);
        }
        return TensorType.of(in.elementType(), shape);
    }

    private static List<Type> inferSlice(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.slice");
        c.operands(ts, 1);
        return List.of(sliceType(c, c.tensor(ts, 0), c.i64Array(props, "start_indices"), c.i64Array(props, "limit_indices"),
                c.i64Array(props, "strides")));
    }

    private static void verifyPad(Operation op) {
        Verify.arity(op, 2, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        TensorType want = padType(OpCheck.of(op), in, Verify.operandTensor(op, 1), Verify.i64Array(op, "edge_padding_low", true).longs(),
                Verify.i64Array(op, "edge_padding_high", true).longs(), Verify.i64Array(op, "interior_padding", true).longs());
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "pad_c1",
                () -> "operand, padding_value and result must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.compatibleShapes(want, out), op, "pad_c4", () -> "result shape must be " + want + ", got " + out);
    }

    /**
     * pad C1 (operand and padding value), C2, C3 and the result type (C4): per dim lo + d + (d - 1) * interior + hi,
     * which must not be negative (negative edge padding crops, but not past nothing); dynamic dims stay dynamic.
     */
    static TensorType padType(OpCheck c, TensorType in, TensorType pv, long[] lo, long[] hi, long[] interior) {
        Supplier<String> values = () -> "; operand " + in + ", edge_padding_low " + OpCheck.list(lo) + ", edge_padding_high "
                + OpCheck.list(hi) + ", interior_padding " + OpCheck.list(interior);
        c.check(Verify.sameElement(in.elementType(), pv.elementType()), "pad_c1",
                () -> "operand and padding_value must have the same element type, got " + in + " and " + pv);
        c.check(pv.rank() == 0, "pad_i2", () -> "padding_value must be a scalar, got " + pv);
        c.check(lo.length == in.rank() && hi.length == in.rank() && interior.length == in.rank(), "pad_c2",
                () -> "edge_padding_low, edge_padding_high and interior_padding must each have " + in.rank() + " entries" + values.get());
        long[] s = new long[in.rank()];
        for (int i = 0; i < s.length; i++) {
            if (interior[i] < 0) throw c.fail("pad_c3", "interior_padding[" + i + "] = " + interior[i] + " must be >= 0" + values.get());
            if (in.isDynamicDim(i)) {
                s[i] = TensorType.DYNAMIC;
                continue;
            }
            long d = in.dim(i);
            s[i] = lo[i] + d + Math.max(d - 1, 0) * interior[i] + hi[i];
            if (s[i] < 0) throw c.fail("pad_c4", "padding dimension " + i + " gives a negative size " + s[i] + values.get());
        }
        return TensorType.of(in.elementType(), s);
    }

    private static List<Type> inferPad(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.pad");
        c.operands(ts, 2);
        return List.of(padType(c, c.tensor(ts, 0), c.tensor(ts, 1), c.i64Array(props, "edge_padding_low"),
                c.i64Array(props, "edge_padding_high"), c.i64Array(props, "interior_padding")));
    }

    private static void verifyConcatenate(Operation op) {
        Verify.operandsAtLeast(op, 1);
        Verify.results(op, 1);
        List<TensorType> inputs = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) inputs.add(Verify.operandTensor(op, i));
        TensorType want = concatenateType(OpCheck.of(op), inputs, Verify.integer(op, "dimension")), out = Verify.resultTensor(op, 0);
        Verify.check(Verify.compatible(want, out), op, "concatenate_c5", () -> "result must be " + want + ", got " + out);
    }

    /** concatenate C1-C4 and the result type (C5): the inputs' sizes along {@code d} add up, dynamic if any is. */
    static TensorType concatenateType(OpCheck c, List<TensorType> inputs, long d) {
        TensorType first = inputs.get(0);
        Supplier<String> values = () -> "; inputs " + inputs + ", dimension " + d;
        c.check(d >= 0 && d < first.rank(), "concatenate_c4", () -> "dimension " + d + " is out of range [0, " + first.rank() + ")" + values.get());
        long[] s = first.shape();
        long sum = 0;
        for (TensorType t : inputs) {
            c.check(Verify.sameElement(t.elementType(), first.elementType()), "concatenate_c1",
                    () -> "all inputs must have the same element type" + values.get());
            c.check(t.rank() == first.rank(), "concatenate_c2", () -> "all inputs must have the same rank" + values.get());
            for (int k = 0; k < t.rank(); k++) {
                if (k == d || t.isDynamicDim(k) || first.isDynamicDim(k)) continue;
                if (t.dim(k) != first.dim(k)) throw c.fail("concatenate_c3", "inputs must agree on every dimension but " + d + values.get());
            }
            sum = t.isDynamicDim((int) d) || sum == TensorType.DYNAMIC ? TensorType.DYNAMIC : sum + t.dim((int) d);
        }
        s[(int) d] = sum;
        return TensorType.of(first.elementType(), s);
    }

    private static List<Type> inferConcatenate(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.concatenate");
        c.operandsAtLeast(ts, 1);
        List<TensorType> inputs = new ArrayList<>();
        for (int i = 0; i < ts.size(); i++) inputs.add(c.tensor(ts, i));
        return List.of(concatenateType(c, inputs, c.integer(props, "dimension")));
    }

    private static void verifyDynamicSlice(Operation op) {
        Verify.operandsAtLeast(op, 1);
        Verify.results(op, 1);
        TensorType in = Verify.operandTensor(op, 0), out = Verify.resultTensor(op, 0);
        long[] sizes = Verify.i64Array(op, "slice_sizes", true).longs();
        TensorType want = dynamicSliceType(OpCheck.of(op), op.operandTypes(), sizes);
        Verify.check(Verify.sameElement(in.elementType(), out.elementType()), op, "dynamic_slice_c1",
                () -> "operand and result must have the same element type, got " + Verify.describe(op));
        Verify.check(Verify.compatibleShapes(want, out), op, "dynamic_slice_c5",
                () -> "result shape must equal slice_sizes " + OpCheck.list(sizes) + ", got " + out);
    }

    /** dynamic_slice C2-C4 over its operand types (operand, then the start indices) and the result type (C5). */
    static TensorType dynamicSliceType(OpCheck c, List<Type> ts, long[] sizes) {
        TensorType in = c.tensor(ts, 0);
        Supplier<String> values = () -> "; operand " + in + ", slice_sizes " + OpCheck.list(sizes);
        c.check(ts.size() - 1 == in.rank(), "dynamic_slice_c2",
                () -> "expects " + in.rank() + " start indices (the operand rank), got " + (ts.size() - 1) + values.get());
        checkScalarIndices(c, "dynamic_slice_c3", ts, 1);
        c.check(sizes.length == in.rank(), "dynamic_slice_c2", () -> "slice_sizes must have " + in.rank() + " entries, got " + sizes.length + values.get());
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 0 || (!in.isDynamicDim(i) && sizes[i] > in.dim(i))) {
                throw c.fail("dynamic_slice_c4", "slice_sizes[" + i + "] = " + sizes[i] + " must be in [0, " + in.dim(i) + "]" + values.get());
            }
        }
        return TensorType.of(in.elementType(), sizes);
    }

    private static void checkScalarIndices(OpCheck c, String rule, List<Type> ts, int from) {
        TensorType first = null;
        for (int i = from; i < ts.size(); i++) {
            TensorType t = c.tensor(ts, i);
            if (t.rank() != 0 || !Verify.isInt(t.elementType())) throw c.fail(rule, "start index #" + (i - from) + " must be a 0-d integer tensor, got " + t);
            if (first == null) first = t;
            else if (!t.equals(first)) throw c.fail(rule, "all start indices must have the same type, got " + ts.subList(from, ts.size()));
        }
    }

    private static List<Type> inferDynamicSlice(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.dynamic_slice");
        c.operandsAtLeast(ts, 1);
        return List.of(dynamicSliceType(c, ts, c.i64Array(props, "slice_sizes")));
    }

    private static void verifyDynamicUpdateSlice(Operation op) {
        Verify.operandsAtLeast(op, 2);
        Verify.results(op, 1);
        TensorType want = dynamicUpdateSliceType(OpCheck.of(op), op.operandTypes()), out = Verify.resultTensor(op, 0);
        Verify.check(Verify.compatible(want, out), op, "dynamic_update_slice_c1", () -> "result must have the operand's type, got " + Verify.describe(op));
    }

    /** dynamic_update_slice C2-C6 over its operand types (operand, update, then the start indices); the result type (C1) is the operand's. */
    static TensorType dynamicUpdateSliceType(OpCheck c, List<Type> ts) {
        TensorType in = c.tensor(ts, 0), upd = c.tensor(ts, 1);
        Supplier<String> values = () -> "; operand " + in + ", update " + upd;
        c.check(Verify.sameElement(in.elementType(), upd.elementType()), "dynamic_update_slice_c2",
                () -> "update must have the operand's element type" + values.get());
        c.check(upd.rank() == in.rank(), "dynamic_update_slice_c3", () -> "update must have the operand's rank" + values.get());
        c.check(ts.size() - 2 == in.rank(), "dynamic_update_slice_c4",
                () -> "expects " + in.rank() + " start indices (the operand rank), got " + (ts.size() - 2) + values.get());
        checkScalarIndices(c, "dynamic_update_slice_c5", ts, 2);
        for (int i = 0; i < in.rank(); i++) {
            if (in.isDynamicDim(i) || upd.isDynamicDim(i)) continue;
            if (upd.dim(i) > in.dim(i)) {
                throw c.fail("dynamic_update_slice_c6", "update dimension " + i + " (size " + upd.dim(i) + ") exceeds operand size " + in.dim(i) + values.get());
            }
        }
        return in;
    }

    private static List<Type> inferDynamicUpdateSlice(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.dynamic_update_slice");
        c.operandsAtLeast(ts, 2);
        return List.of(dynamicUpdateSliceType(c, ts));
    }
}
