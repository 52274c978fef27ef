package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotAlgorithm;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.hlo4j.mlir.dialect.stablehlo.DataMovementOps.def;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.COMPLEX;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.FLOAT;
import static io.hlo4j.mlir.dialect.stablehlo.Verify.Category.QUANT;

/** dot_general, dot, convolution, dynamic_conv, fft, cholesky, triangular_solve and batch_norm_*. */
final class DotConvOps {
    private DotConvOps() {}

    static final Set<String> WINDOW = Set.of("window_strides", "padding", "lhs_dilation", "rhs_dilation", "window_reversal");

    static void register(OpRegistry r) {
        def(r, "dot_general", "general tensor contraction", Set.of("dot_dimension_numbers", "precision_config", "algorithm"),
                DOT_GENERAL, DotConvOps::verifyDotGeneral, DotConvOps::inferDotGeneral);
        def(r, "dot", "legacy matrix/vector product", Set.of("precision_config"), DOT, op -> {
            Verify.arity(op, 2, 1);
            TensorType l = Verify.operandTensor(op, 0), rr = Verify.operandTensor(op, 1);
            Verify.check(l.rank() >= 1 && l.rank() <= 2 && rr.rank() >= 1 && rr.rank() <= 2, op, "dot",
                    () -> "operands must be vectors or matrices, got " + Verify.describe(op));
            checkPrecision(op, "dot");
        }, null);
        Set<String> convAttrs = Set.of("window_strides", "padding", "lhs_dilation", "rhs_dilation", "window_reversal",
                "dimension_numbers", "feature_group_count", "batch_group_count", "precision_config");
        def(r, "convolution", "windowed dot products", convAttrs, CONVOLUTION, op -> verifyConv(op, "convolution", 2), null);
        Set<String> dynConvAttrs = new java.util.HashSet<>(convAttrs);
        dynConvAttrs.remove("padding");
        def(r, "dynamic_conv", "convolution with runtime padding", dynConvAttrs, OpSyntax.GENERIC,
                op -> verifyConv(op, "dynamic_conv", 3), null);
        def(r, "fft", "fast Fourier transform", Set.of("fft_type", "fft_length"), FFT, op -> {
            Verify.arity(op, 1, 1);
            TensorType in = Verify.operandTensor(op, 0);
            Verify.elementIn(op, "fft_i1", "operand", in, FLOAT, COMPLEX);
            EnumAttr t = Verify.enumAttr(op, "fft_type", EnumAttr.Kind.FFT_TYPE, true);
            long[] len = Verify.i64Array(op, "fft_length", true).longs();
            Verify.check(len.length >= 1 && len.length <= 3, op, "fft_c1", () -> "fft_length must have 1 to 3 entries, got " + len.length);
            Verify.check(len.length <= in.rank(), op, "fft_c2", () -> "fft_length has more entries than the operand rank " + in.rank());
            boolean complexIn = Verify.isComplex(in.elementType());
            Verify.check(t.value().equals("RFFT") != complexIn, op, "fft_c2",
                    () -> "fft_type " + t.value() + (complexIn ? " does not take" : " requires") + " a complex operand, got " + in);
            verifyFftResult(op, t.value(), in, Verify.resultTensor(op, 0), len);
        }, null);
        def(r, "cholesky", "Cholesky decomposition of a batch of matrices", Set.of("lower"), CHOLESKY, op -> {
            Verify.arity(op, 1, 1);
            TensorType a = Verify.operandTensor(op, 0);
            Verify.elementIn(op, "cholesky_i1", "a", a, FLOAT, COMPLEX, QUANT);
            Verify.check(a.rank() >= 2, op, "cholesky_c2", () -> "a must have rank >= 2, got " + a);
            Verify.check(a.isDynamicDim(a.rank() - 1) || a.isDynamicDim(a.rank() - 2) || a.dim(a.rank() - 1) == a.dim(a.rank() - 2),
                    op, "cholesky_c2", () -> "a must be a batch of square matrices, got " + a);
            Verify.check(Verify.compatible(a, Verify.resultTensor(op, 0)), op, "cholesky_c1",
                    () -> "result must have the type of a, got " + Verify.describe(op));
            Verify.bool(op, "lower", false);
        }, ElementwiseOps.SAME_AS_FIRST);
        def(r, "triangular_solve", "solves triangular systems of linear equations",
                Set.of("left_side", "lower", "unit_diagonal", "transpose_a"), OpSyntax.GENERIC, op -> {
                    Verify.arity(op, 2, 1);
                    TensorType a = Verify.operandTensor(op, 0), b = Verify.operandTensor(op, 1);
                    Verify.elementIn(op, "triangular_solve_i1", "a", a, FLOAT, COMPLEX);
                    Verify.check(a.rank() >= 2 && a.rank() == b.rank(), op, "triangular_solve_c1",
                            () -> "a and b must have the same rank >= 2, got " + Verify.describe(op));
                    Verify.check(a.elementType().equals(b.elementType()), op, "triangular_solve_c1",
                            () -> "a and b must have the same element type, got " + Verify.describe(op));
                    Verify.check(Verify.compatible(b, Verify.resultTensor(op, 0)), op, "triangular_solve_c4",
                            () -> "result must have the type of b, got " + Verify.describe(op));
                    Verify.bool(op, "left_side", false);
                    Verify.bool(op, "lower", false);
                    Verify.bool(op, "unit_diagonal", false);
                    Verify.enumAttr(op, "transpose_a", EnumAttr.Kind.TRANSPOSE, true);
                }, null);
        def(r, "batch_norm_inference", "normalizes with given mean and variance", Set.of("epsilon", "feature_index"),
                OpSyntax.GENERIC, op -> verifyBatchNorm(op, "batch_norm_inference", 5, 1), null);
        def(r, "batch_norm_training", "normalizes and returns batch mean and variance", Set.of("epsilon", "feature_index"),
                OpSyntax.GENERIC, op -> verifyBatchNorm(op, "batch_norm_training", 3, 3), null);
        def(r, "batch_norm_grad", "gradients of batch_norm_training", Set.of("epsilon", "feature_index"),
                OpSyntax.GENERIC, op -> verifyBatchNorm(op, "batch_norm_grad", 5, 3), null);
    }

    // ---- dot_general ------------------------------------------------------------------------------

    /** {@code %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1], precision = [..], algorithm = <..>}. */
    static final OpSyntax DOT_GENERAL = Syntax.of((p, b) -> {
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        p.expect(",");
        Dims lb = Dims.EMPTY, rb = Dims.EMPTY;
        if (p.consumeKeywordIf("batching_dims")) {
            p.expect("=");
            lb = Dims.parse(p);
            expectX(p);
            rb = Dims.parse(p);
            p.expect(",");
        }
        Syntax.expectKeyEquals(p, "contracting_dims");
        Dims lc = Dims.parse(p);
        expectX(p);
        Dims rc = Dims.parse(p);
        b.property("dot_dimension_numbers", new DotDimensionNumbers(lb, rb, lc, rc));
        parsePrecisionAndAlgorithm(p, b, true);
        Syntax.parseAttrDict(p, b, Set.of("dot_dimension_numbers", "precision_config", "algorithm"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        DotDimensionNumbers d = (DotDimensionNumbers) op.attr("dot_dimension_numbers");
        p.print(" ").printOperands(op.operands()).print(", ");
        if (!d.lhsBatchingDimensions().isEmpty() || !d.rhsBatchingDimensions().isEmpty()) {
            p.print("batching_dims = " + d.lhsBatchingDimensions() + " x " + d.rhsBatchingDimensions() + ", ");
        }
        p.print("contracting_dims = " + d.lhsContractingDimensions() + " x " + d.rhsContractingDimensions());
        printPrecision(op, p);
        if (op.attr("algorithm") instanceof DotAlgorithm a) p.print(", algorithm = " + a.body());
        Syntax.printAttrDict(p, op, "dot_dimension_numbers", "precision_config", "algorithm");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "dot_dimension_numbers", DotDimensionNumbers.class, "?precision_config", ArrayAttr.class, "?algorithm", DotAlgorithm.class).and(DotConvOps::precisionPrintable));

    static final OpSyntax DOT = Syntax.of((p, b) -> {
        List<OperandRef> refs = ElementwiseOps.twoOperands(p);
        parsePrecisionAndAlgorithm(p, b, false);
        Syntax.parseAttrDict(p, b, Set.of("precision_config"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print(" ").printOperands(op.operands());
        printPrecision(op, p);
        Syntax.printAttrDict(p, op, "precision_config");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "?precision_config", ArrayAttr.class).and(DotConvOps::precisionPrintable));

    private static void expectX(AsmParser p) {
        if (!p.consumeIf("x")) p.expectKeyword("x");
    }

    /** Optional {@code , precision = [A, B]} then (when allowed) {@code , algorithm = <...>}. */
    private static void parsePrecisionAndAlgorithm(AsmParser p, io.hlo4j.mlir.ir.Operation.Builder b, boolean allowAlgorithm) {
        if (!p.consumeIf(",")) return;
        if (allowAlgorithm && p.consumeKeywordIf("algorithm")) {
            p.expect("=");
            b.property("algorithm", DotAlgorithm.parse(p));
            return;
        }
        Syntax.expectKeyEquals(p, "precision");
        p.expect("[");
        List<Attribute> ps = new ArrayList<>();
        if (!p.consumeIf("]")) {
            do ps.add(EnumAttr.parseKeyword(p, EnumAttr.Kind.PRECISION)); while (p.consumeIf(","));
            p.expect("]");
        }
        b.property("precision_config", new ArrayAttr(ps));
        if (allowAlgorithm && p.consumeIf(",")) {
            Syntax.expectKeyEquals(p, "algorithm");
            b.property("algorithm", DotAlgorithm.parse(p));
        }
    }

    private static void printPrecision(Operation op, io.hlo4j.mlir.asm.AsmPrinter p) {
        if (!(op.attr("precision_config") instanceof ArrayAttr a)) return;
        StringBuilder sb = new StringBuilder(", precision = [");
        for (int i = 0; i < a.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(((EnumAttr) a.get(i)).value());
        }
        p.print(sb.append(']').toString());
    }

    /** The pretty form spells precision entries as bare keywords, so each must be a precision enum. */
    static boolean precisionPrintable(Operation op) {
        if (!(op.attr("precision_config") instanceof ArrayAttr a)) return true;
        for (Attribute e : a.elements()) if (!(e instanceof EnumAttr en && en.kind() == EnumAttr.Kind.PRECISION)) return false;
        return true;
    }

    private static void checkPrecision(Operation op, String name) {
        ArrayAttr a = Verify.attr(op, "precision_config", ArrayAttr.class, false);
        if (a == null) return;
        Verify.check(a.size() == 0 || a.size() == 2, op, name + "_c11", () -> "precision_config must have 0 or 2 entries, got " + a.size());
        for (Attribute e : a.elements()) {
            Verify.check(e instanceof EnumAttr en && en.kind() == EnumAttr.Kind.PRECISION, op, name + "_i7",
                    () -> "precision_config entries must be #stablehlo<precision ...>, got " + e);
        }
    }

    private static void verifyDotGeneral(Operation op) {
        Verify.arity(op, 2, 1);
        TensorType out = Verify.resultTensor(op, 0);
        TensorType want = dotGeneralType(OpCheck.of(op), Verify.operandTensor(op, 0), Verify.operandTensor(op, 1),
                Verify.attr(op, "dot_dimension_numbers", DotDimensionNumbers.class, true));
        checkPrecision(op, "dot_general");
        Verify.attr(op, "algorithm", DotAlgorithm.class, false);
        Verify.check(Verify.compatibleShapes(want, out), op, "dot_general_c12",
                () -> "result shape must be " + out.withShape(want.shape()) + " (batch, lhs free, rhs free dimensions), got " + out);
    }

    /**
     * dot_general C1-C8 and the result shape (C12): batch dims, then lhs free dims, then rhs free dims. The result
     * element type is not fixed by the operands (a preferred accumulation type may be asked for); this gives the
     * lhs element type, the plain product's.
     */
    static TensorType dotGeneralType(OpCheck c, TensorType l, TensorType r, DotDimensionNumbers d) {
        long[] lb = d.lhsBatchingDimensions().toArray(), rb = d.rhsBatchingDimensions().toArray();
        long[] lc = d.lhsContractingDimensions().toArray(), rc = d.rhsContractingDimensions().toArray();
        Supplier<String> values = () -> "; lhs " + l + ", rhs " + r + ", batching_dims = " + d.lhsBatchingDimensions() + " x "
                + d.rhsBatchingDimensions() + ", contracting_dims = " + d.lhsContractingDimensions() + " x " + d.rhsContractingDimensions();
        c.check(lb.length == rb.length, "dot_general_c1", () -> "lhs and rhs batching dimensions differ in count: "
                + d.lhsBatchingDimensions() + " x " + d.rhsBatchingDimensions() + values.get());
        c.check(lc.length == rc.length, "dot_general_c2", () -> "lhs and rhs contracting dimensions differ in count: "
                + d.lhsContractingDimensions() + " x " + d.rhsContractingDimensions() + values.get());
        c.dimsInRange("dot_general_c3", "lhs batching/contracting dimension", concat(lb, lc), l.rank(), values);
        c.dimsInRange("dot_general_c5", "rhs batching/contracting dimension", concat(rb, rc), r.rank(), values);
        for (int i = 0; i < lb.length; i++) checkSameSize(c, "dot_general_c7", "batching", l, lb[i], r, rb[i], values);
        for (int i = 0; i < lc.length; i++) checkSameSize(c, "dot_general_c8", "contracting", l, lc[i], r, rc[i], values);
        List<Long> shape = new ArrayList<>();
        for (long b : lb) shape.add(l.dim((int) b));
        for (int i = 0; i < l.rank(); i++) if (!contains(lb, i) && !contains(lc, i)) shape.add(l.dim(i));
        for (int i = 0; i < r.rank(); i++) if (!contains(rb, i) && !contains(rc, i)) shape.add(r.dim(i));
        return TensorType.of(l.elementType(), shape.stream().mapToLong(Long::longValue).toArray());
    }

    private static List<Type> inferDotGeneral(List<Type> ts, DictionaryAttr props, List<Region> regions) {
        OpCheck c = OpCheck.inferring("stablehlo.dot_general");
        c.operands(ts, 2);
        return List.of(dotGeneralType(c, c.tensor(ts, 0), c.tensor(ts, 1),
                c.attr(props, "dot_dimension_numbers", DotDimensionNumbers.class, true)));
    }

    private static void checkSameSize(OpCheck c, String rule, String kind, TensorType l, long ld, TensorType r, long rd, Supplier<String> values) {
        if (l.isDynamicDim((int) ld) || r.isDynamicDim((int) rd)) return;
        c.check(l.dim((int) ld) == r.dim((int) rd), rule, () -> kind + " dimension lhs " + ld + " (size " + l.dim((int) ld)
                + ") and rhs " + rd + " (size " + r.dim((int) rd) + ") must have the same size" + values.get());
    }

    private static long[] concat(long[] a, long[] b) {
        long[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) if (x == v) return true;
        return false;
    }

    // ---- convolution ------------------------------------------------------------------------------

    /** {@code (%a, %b) dim_numbers = [..]x[..]->[..], window = {stride = [..], pad = [[..]], ...} {attrs} : T}. */
    static final OpSyntax CONVOLUTION = Syntax.of((p, b) -> {
        p.expect("(");
        List<OperandRef> refs = p.parseOperandList();
        p.expect(")");
        Syntax.expectKeyEquals(p, "dim_numbers");
        b.property("dimension_numbers", ConvDimensionNumbers.parseBody(p));
        p.expect(",");
        Syntax.expectKeyEquals(p, "window");
        p.expect("{");
        parseWindow(p, b);
        p.expect("}");
        Syntax.parseAttrDict(p, b, Set.of("feature_group_count", "batch_group_count", "precision_config"));
        p.expect(":");
        Syntax.parseFunctionalType(p, refs, b);
    }, (op, p) -> {
        p.print("(").printOperands(op.operands()).print(") dim_numbers = ")
                .print(((ConvDimensionNumbers) op.attr("dimension_numbers")).body()).print(", window = {")
                .print(windowText(op)).print("}");
        Set<String> elided = new java.util.HashSet<>(WINDOW);
        elided.add("dimension_numbers");
        Syntax.printAttrDict(p, op, elided);
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(2, 1, "dimension_numbers", ConvDimensionNumbers.class, "?window_strides", DenseArrayAttr.class, "?lhs_dilation", DenseArrayAttr.class, "?rhs_dilation", DenseArrayAttr.class, "?window_reversal", DenseArrayAttr.class).and(DotConvOps::printableWindow));

    private static void parseWindow(AsmParser p, io.hlo4j.mlir.ir.Operation.Builder b) {
        Set<String> allowed = new java.util.HashSet<>(Set.of("stride", "pad", "lhs_dilate", "rhs_dilate", "reverse"));
        while (p.peekKeyword() != null) {
            String key = p.parseKeyword();
            if (!allowed.remove(key)) throw p.error("Unexpected keyword " + key);
            p.expect("=");
            switch (key) {
                case "pad" -> {
                    List<Long> vs = new ArrayList<>();
                    p.expect("[");
                    if (!p.consumeIf("]")) {
                        do {
                            p.expect("[");
                            vs.add(p.parseInteger());
                            p.expect(",");
                            vs.add(p.parseInteger());
                            p.expect("]");
                        } while (p.consumeIf(","));
                        p.expect("]");
                    }
                    b.property("padding", padding(vs));
                }
                case "reverse" -> {
                    p.expect("[");
                    List<Boolean> vs = new ArrayList<>();
                    if (!p.consumeIf("]")) {
                        do {
                            String kw = p.peekKeyword();
                            if (kw != null) vs.add(p.parseKeyword().equals("true"));
                            else vs.add(p.parseInteger() != 0);
                        } while (p.consumeIf(","));
                        p.expect("]");
                    }
                    boolean[] bs = new boolean[vs.size()];
                    for (int i = 0; i < bs.length; i++) bs[i] = vs.get(i);
                    b.property("window_reversal", DenseArrayAttr.ofBools(bs));
                }
                default -> b.property(switch (key) {
                    case "stride" -> "window_strides";
                    case "lhs_dilate" -> "lhs_dilation";
                    default -> "rhs_dilation";
                }, Syntax.parseI64List(p));
            }
            if (!p.consumeIf(",")) break;
        }
    }

    /** The Nx2 {@code dense<...> : tensor<Nx2xi64>} padding attribute from flattened pairs. */
    static DenseElementsAttr padding(List<Long> flat) {
        ByteBuffer bb = ByteBuffer.allocate(flat.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : flat) bb.putLong(v);
        return DenseElementsAttr.of(TensorType.of(IntegerType.I64, flat.size() / 2, 2), bb.array());
    }

    /** The padding values as longs, row-major. */
    static long[] paddingValues(DenseElementsAttr d) {
        ByteBuffer bb = ByteBuffer.wrap(d.expandedData()).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[Math.toIntExact(d.type().numElements())];
        for (int i = 0; i < out.length; i++) out[i] = bb.getLong();
        return out;
    }

    private static String windowText(Operation op) {
        List<String> parts = new ArrayList<>();
        if (op.attr("window_strides") instanceof DenseArrayAttr s) parts.add("stride = " + Syntax.i64List(s));
        if (op.attr("padding") instanceof DenseElementsAttr pad) {
            long[] v = paddingValues(pad);
            StringBuilder sb = new StringBuilder("pad = [");
            for (int i = 0; i + 1 < v.length; i += 2) {
                if (i > 0) sb.append(", ");
                sb.append('[').append(v[i]).append(", ").append(v[i + 1]).append(']');
            }
            parts.add(sb.append(']').toString());
        }
        if (op.attr("lhs_dilation") instanceof DenseArrayAttr s) parts.add("lhs_dilate = " + Syntax.i64List(s));
        if (op.attr("rhs_dilation") instanceof DenseArrayAttr s) parts.add("rhs_dilate = " + Syntax.i64List(s));
        if (op.attr("window_reversal") instanceof DenseArrayAttr s) {
            StringBuilder sb = new StringBuilder("reverse = [");
            boolean[] bs = s.bools();
            // AsmPrinter's operator<<(bool) writes true/false (e.g. "reverse = [false, false]" in upstream's
            // pytorch-export tutorial output); parsing accepts these and the 1/0 integers upstream's parser reads.
            for (int i = 0; i < bs.length; i++) sb.append(i > 0 ? ", " : "").append(bs[i]);
            parts.add(sb.append(']').toString());
        }
        return String.join(", ", parts);
    }

    private static boolean printableWindow(Operation op) {
        return !(op.attr("padding") instanceof Attribute a) || a instanceof DenseElementsAttr d
                && d.type().rank() == 2 && d.type().hasStaticShape() && d.type().dim(1) == 2;
    }

    private static void verifyConv(Operation op, String name, int operands) {
        Verify.arity(op, operands, 1);
        TensorType lhs = Verify.operandTensor(op, 0), rhs = Verify.operandTensor(op, 1), out = Verify.resultTensor(op, 0);
        ConvDimensionNumbers dn = Verify.attr(op, "dimension_numbers", ConvDimensionNumbers.class, true);
        int spatial = dn.inputSpatialDimensions().size();
        Verify.check(lhs.rank() == spatial + 2, op, name + "_c1", () -> "lhs rank must be " + (spatial + 2) + ", got " + lhs);
        Verify.check(rhs.rank() == lhs.rank(), op, name + "_c2", () -> "rhs must have the lhs rank " + lhs.rank() + ", got " + rhs);
        Verify.check(out.rank() == lhs.rank(), op, name + "_c2", () -> "result must have the lhs rank " + lhs.rank() + ", got " + out);
        Verify.check(dn.kernelSpatialDimensions().size() == spatial && dn.outputSpatialDimensions().size() == spatial,
                op, name + "_c13", () -> "input, kernel and output must have the same number of spatial dimensions: " + dn);
        // Upstream checks dynamic_conv's window attributes only when its padding operand is a constant.
        boolean checkWindow = operands == 2 || op.operand(2) instanceof io.hlo4j.mlir.ir.OpResult r
                && r.owner().name().equals("stablehlo.constant");
        for (String w : List.of("window_strides", "lhs_dilation", "rhs_dilation")) {
            DenseArrayAttr a = Verify.i64Array(op, w, false);
            if (a == null || !checkWindow) continue;
            Verify.check(a.size() == spatial, op, name + "_c4", () -> w + " must have " + spatial + " entries, got " + a.size());
            for (long v : a.longs()) Verify.check(v > 0, op, name + "_c5", () -> w + " entries must be > 0, got " + Syntax.i64List(a));
        }
        if (operands == 2 && op.attr("padding") != null) {
            Verify.check(printableWindow(op), op, name + "_c6", () -> "padding must be a tensor<Nx2xi64>, got " + op.attr("padding"));
            Verify.check(((DenseElementsAttr) op.attr("padding")).type().dim(0) == spatial, op, name + "_c6",
                    () -> "padding must have " + spatial + " rows, got " + op.attr("padding"));
        }
        long fgc = Verify.integer(op, "feature_group_count"), bgc = Verify.integer(op, "batch_group_count");
        Verify.check(fgc > 0, op, name + "_c21", () -> "feature_group_count must be > 0, got " + fgc);
        Verify.check(bgc > 0, op, name + "_c22", () -> "batch_group_count must be > 0, got " + bgc);
        Verify.check(fgc == 1 || bgc == 1, op, name + "_c23", "feature_group_count and batch_group_count cannot both exceed 1");
        int inFeature = (int) dn.inputFeatureDimension(), kIn = (int) dn.kernelInputFeatureDimension();
        if (!lhs.isDynamicDim(inFeature) && !rhs.isDynamicDim(kIn)) {
            Verify.check(lhs.dim(inFeature) % fgc == 0, op, name + "_c11",
                    () -> "input feature dimension size " + lhs.dim(inFeature) + " must be divisible by feature_group_count " + fgc);
            Verify.check(lhs.dim(inFeature) / fgc == rhs.dim(kIn), op, name + "_c14", () -> "input feature size " + lhs.dim(inFeature)
                    + " / feature_group_count " + fgc + " must equal kernel input feature size " + rhs.dim(kIn));
        }
        checkPrecision(op, name);
        if (checkWindow && (operands == 2 || op.attr("padding") == null)) checkConvOutputShape(op, name, lhs, rhs, out, dn, bgc);
    }

    /**
     * dynamic_conv's padding when its operand is a {@code stablehlo.constant} of 2 x spatial integers (i32 or i64),
     * else null (the result shape then cannot be checked statically).
     */
    private static long[] constantPadding(Operation op, int spatial) {
        if (!(op.operand(2) instanceof io.hlo4j.mlir.ir.OpResult r) || !r.owner().name().equals("stablehlo.constant")
                || !(r.owner().attr("value") instanceof DenseElementsAttr d)
                || !(d.type().elementType() instanceof io.hlo4j.mlir.types.IntegerType it)
                || d.type().numElements() != 2L * spatial) return null;
        ByteBuffer bb = ByteBuffer.wrap(d.expandedData()).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[2 * spatial];
        for (int i = 0; i < out.length; i++) out[i] = it.width() == 64 ? bb.getLong() : it.width() == 32 ? bb.getInt() : 0;
        return it.width() == 64 || it.width() == 32 ? out : null;
    }

    /** The spec's result shape (convolution_c25..c27): batch and feature sizes, and each windowed spatial size. */
    private static void checkConvOutputShape(Operation op, String name, TensorType lhs, TensorType rhs, TensorType out,
                                             ConvDimensionNumbers dn, long bgc) {
        int spatial = dn.inputSpatialDimensions().size();
        long[] want = new long[out.rank()];
        java.util.Arrays.fill(want, TensorType.DYNAMIC);
        int ib = (int) dn.inputBatchDimension(), ko = (int) dn.kernelOutputFeatureDimension();
        if (!lhs.isDynamicDim(ib)) want[(int) dn.outputBatchDimension()] = lhs.dim(ib) / bgc;
        if (!rhs.isDynamicDim(ko)) want[(int) dn.outputFeatureDimension()] = rhs.dim(ko);
        long[] strides = longsOr(op, "window_strides", spatial, 1);
        long[] lhsDil = longsOr(op, "lhs_dilation", spatial, 1);
        long[] rhsDil = longsOr(op, "rhs_dilation", spatial, 1);
        long[] pad = op.attr("padding") instanceof DenseElementsAttr d ? paddingValues(d)
                : op.numOperands() == 3 ? constantPadding(op, spatial) : new long[2 * spatial];
        if (pad == null) return;
        for (int n = 0; n < spatial; n++) {
            int in = (int) dn.inputSpatialDimensions().get(n), k = (int) dn.kernelSpatialDimensions().get(n);
            if (lhs.isDynamicDim(in) || rhs.isDynamicDim(k)) continue;
            long dilatedIn = lhs.dim(in) == 0 ? 0 : (lhs.dim(in) - 1) * lhsDil[n] + 1;
            long padded = dilatedIn + pad[2 * n] + pad[2 * n + 1];
            long dilatedWin = rhs.dim(k) == 0 ? 0 : (rhs.dim(k) - 1) * rhsDil[n] + 1;
            want[(int) dn.outputSpatialDimensions().get(n)] = padded < dilatedWin || padded <= 0 ? 0 : (padded - dilatedWin) / strides[n] + 1;
        }
        TensorType expected = TensorType.of(out.elementType(), want);
        Verify.check(Verify.compatibleShapes(expected, out), op, name + "_c25",
                () -> "result shape must be " + expected + " (batch, feature and windowed spatial sizes), got " + out);
    }

    private static long[] longsOr(Operation op, String name, int n, long dflt) {
        if (op.attr(name) instanceof DenseArrayAttr a && a.size() == n) return a.longs();
        long[] l = new long[n];
        java.util.Arrays.fill(l, dflt);
        return l;
    }

    /**
     * fft (C2, C4, C5): the result's element type follows the transform (complex for FFT, IFFT and RFFT, the real
     * type for IRFFT); the real side's last dimensions are fft_length; the complex side's last one is n/2+1 of the real
     * side's n (0 stays 0); every other dimension is the operand's. Checked here so a hostile length (negative, or
     * past the operand) is refused by the verifier, naming the op, not by the interpreter.
     */
    private static void verifyFftResult(Operation op, String type, TensorType in, TensorType out, long[] len) {
        for (long l : len) Verify.check(l >= 0, op, "fft_length", () -> "fft_length entries must be non-negative, got " + java.util.Arrays.toString(len));
        ElementType want = switch (type) {
            case "RFFT" -> in.elementType() instanceof FloatType f ? new ComplexType(f) : null;
            case "IRFFT" -> in.elementType() instanceof ComplexType c ? c.elementType() : null;
            default -> in.elementType();
        };
        Verify.check(want == null || out.elementType().equals(want), op, "fft_c2",
                () -> type + " of " + in + " gives " + want + " elements, got result " + out);
        boolean real = type.equals("RFFT") || type.equals("IRFFT");
        TensorType realSide = type.equals("IRFFT") ? out : in, complexSide = type.equals("IRFFT") ? in : out;
        Verify.check(out.rank() == in.rank(), op, "fft_c5", () -> "result must have the operand's rank " + in.rank() + ", got " + out);
        int r = in.rank(), l = len.length;
        for (int d = 0; d < r; d++) {
            final int dim = d;
            if (real && d >= r - l) {
                long n = len[d - (r - l)];
                Verify.check(realSide.isDynamicDim(d) || realSide.dim(d) == n, op, "fft_c4",
                        () -> "dimension " + dim + " of the real " + (type.equals("IRFFT") ? "result " : "operand ") + realSide
                                + " must be its fft_length " + n + " (fft_length " + java.util.Arrays.toString(len) + ")");
                if (d == r - 1) {
                    long half = n == 0 ? 0 : n / 2 + 1;
                    Verify.check(complexSide.isDynamicDim(d) || complexSide.dim(d) == half, op, "fft_c5",
                            () -> "the last dimension of the complex " + (type.equals("IRFFT") ? "operand " : "result ") + complexSide
                                    + " must be fft_length/2+1 = " + half + " (fft_length " + java.util.Arrays.toString(len) + ")");
                    continue;
                }
            }
            Verify.check(in.isDynamicDim(d) || out.isDynamicDim(d) || in.dim(d) == out.dim(d), op, "fft_c5",
                    () -> "dimension " + dim + " of the result " + out + " must be the operand's " + in.dim(dim));
        }
    }

    // ---- fft / cholesky / batch norm --------------------------------------------------------------

    static final OpSyntax FFT = Syntax.of((p, b) -> {
        OperandRef x = p.parseOperand();
        p.expect(",");
        Syntax.expectKeyEquals(p, "type");
        b.property("fft_type", EnumAttr.parseKeyword(p, EnumAttr.Kind.FFT_TYPE));
        p.expect(",");
        Syntax.expectKeyEquals(p, "length");
        b.property("fft_length", Syntax.parseI64List(p));
        Syntax.parseAttrDict(p, b, Set.of("fft_type", "fft_length"));
        p.expect(":");
        Syntax.parseFunctionalType(p, List.of(x), b);
    }, (op, p) -> {
        p.print(" ").printOperand(op.operand(0)).print(", type = ").print(((EnumAttr) op.attr("fft_type")).value())
                .print(", length = ").print(Syntax.i64List(Syntax.i64Array(op, "fft_length")));
        Syntax.printAttrDict(p, op, "fft_type", "fft_length");
        Syntax.printColonFunctionalType(p, op);
    }, Syntax.form(1, 1, "fft_type", EnumAttr.class, "fft_length", DenseArrayAttr.class));

    /** {@code %a, lower = true : T}; a false (default) lower is not printed. */
    static final OpSyntax CHOLESKY = Syntax.of((p, b) -> {
        OperandRef a = p.parseOperand();
        if (p.consumeIf(",")) {
            Syntax.expectKeyEquals(p, "lower");
            String v = p.parseKeyword();
            if (!v.equals("true") && !v.equals("false")) throw p.error("lower must be true or false, got '" + v + "'");
            b.property("lower", BoolAttr.of(v.equals("true")));
        }
        Syntax.parseAttrDict(p, b, Set.of("lower"));
        p.expect(":");
        Syntax.parseSameOperandsAndResultType(p, List.of(a), b);
    }, (op, p) -> {
        p.print(" ").printOperand(op.operand(0));
        if (op.attr("lower") instanceof BoolAttr l && l.value()) p.print(", lower = true");
        Syntax.printAttrDict(p, op, "lower");
        Syntax.printColonSameType(p, op);
    }, Syntax.form(1, 1, "?lower", BoolAttr.class));

    private static void verifyBatchNorm(Operation op, String name, int operands, int results) {
        Verify.arity(op, operands, results);
        TensorType x = Verify.operandTensor(op, 0);
        Verify.elementIn(op, name + "_i1", "operand", x, FLOAT, QUANT);
        long fi = Verify.integer(op, "feature_index");
        Verify.check(fi >= 0 && fi < x.rank(), op, name + "_c1", () -> "feature_index " + fi + " is out of range [0, " + x.rank() + ")");
        Verify.attr(op, "epsilon", io.hlo4j.mlir.attr.FloatAttr.class, true);
        long features = x.dim((int) fi);
        for (int i = 1; i < operands; i++) {
            TensorType t = Verify.operandTensor(op, i);
            boolean full = name.equals("batch_norm_grad") && i == 4;
            if (full) {
                Verify.check(Verify.compatible(t, x), op, name + "_c3", () -> "grad_output must have the operand's type, got " + t);
                continue;
            }
            int k = i;
            Verify.check(t.rank() == 1 && (t.isDynamicDim(0) || x.isDynamicDim((int) fi) || t.dim(0) == features), op, name + "_c2",
                    () -> "operand #" + k + " must be 1-D of size " + features + " (the feature dimension), got " + t);
        }
        Verify.check(Verify.compatible(Verify.resultTensor(op, 0), x), op, name + "_c3",
                () -> "result #0 must have the operand's type, got " + Verify.describe(op));
    }
}
