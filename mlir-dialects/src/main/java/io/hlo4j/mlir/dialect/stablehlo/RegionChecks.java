package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks and attribute readers shared by the region, collective and misc ops: every failure is a
 * {@link VerificationException} naming the op and the spec constraint (e.g. {@code reduce_c4}).
 */
final class RegionChecks {
    private RegionChecks() {}

    static VerificationException fail(Operation op, String rule, String message) {
        return new VerificationException(op.name(), message + " (" + rule + ")", op.location());
    }

    // ---- types -------------------------------------------------------------------------------

    static TensorType tensor(Operation op, Type t, String what, String rule) {
        if (t instanceof TensorType tt) return tt;
        throw fail(op, rule, what + " must be a tensor, but got " + t);
    }

    static List<TensorType> tensors(Operation op, List<? extends Value> values, String what, String rule) {
        List<TensorType> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) out.add(tensor(op, values.get(i).type(), what + " #" + i, rule));
        return out;
    }

    static boolean compatibleDims(long a, long b) {
        return a == TensorType.DYNAMIC || b == TensorType.DYNAMIC || a == b;
    }

    static boolean compatibleShapes(long[] a, long[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (!compatibleDims(a[i], b[i])) return false;
        return true;
    }

    /** Same element type (floats of any width when {@code ignoreFpPrecision}), compatible shapes. */
    static boolean compatibleShapeAndElementType(Type a, Type b, boolean ignoreFpPrecision) {
        if (!(a instanceof TensorType ta) || !(b instanceof TensorType tb)) return a.equals(b);
        if (!compatibleShapes(ta.shape(), tb.shape())) return false;
        if (ignoreFpPrecision && ta.elementType() instanceof FloatType && tb.elementType() instanceof FloatType) return true;
        return ta.elementType().equals(tb.elementType());
    }

    /** The spec's "compatible" for type inference: equal, or tensors that differ only in dynamic dims/bounds. */
    static boolean compatible(Type a, Type b) {
        if (a.equals(b)) return true;
        if (a instanceof TensorType ta && b instanceof TensorType tb) {
            return ta.elementType().equals(tb.elementType()) && compatibleShapes(ta.shape(), tb.shape());
        }
        return false;
    }

    static boolean compatible(List<Type> a, List<Type> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!compatible(a.get(i), b.get(i))) return false;
        return true;
    }

    static int bitWidth(ElementType t) {
        return switch (t) {
            case IntegerType i -> i.width();
            case FloatType f -> f.bitWidth();
            case ComplexType c -> 2 * c.elementType().bitWidth();
            case QuantizedType q -> q.storageType().width();
            default -> 64;
        };
    }

    /** Whether element type {@code from} promotes to {@code to}: same kind and no narrower. */
    static boolean promotable(ElementType from, ElementType to, boolean ignoreFpPrecision) {
        boolean sameKind = (from instanceof IntegerType && to instanceof IntegerType)
                || (from instanceof FloatType && to instanceof FloatType)
                || (from instanceof ComplexType && to instanceof ComplexType)
                || (from instanceof QuantizedType qf && to instanceof QuantizedType qt
                    && qf.expressedType().equals(qt.expressedType()));
        if (!sameKind) return false;
        if (ignoreFpPrecision && from instanceof FloatType) return true;
        return bitWidth(from) <= bitWidth(to);
    }

    static TensorType scalar(ElementType t) { return TensorType.scalar(t); }

    static boolean isScalarOf(Type t, ElementType element) {
        return t instanceof TensorType tt && tt.rank() == 0 && tt.elementType().equals(element);
    }

    static boolean isI1Scalar(Type t) { return isScalarOf(t, IntegerType.I1); }

    static TensorType sameShape(TensorType shapeOf, ElementType element) {
        return TensorType.of(element, shapeOf.shape(), shapeOf.encoding());
    }

    // ---- regions -----------------------------------------------------------------------------

    /** The single block of region {@code index}; the op must have it. */
    static Block block(Operation op, int index, String regionName, String rule) {
        if (op.regions().size() <= index) throw fail(op, rule, "expects a '" + regionName + "' region");
        Region r = op.region(index);
        if (r.blocks().size() != 1) {
            throw fail(op, rule, "expects region '" + regionName + "' to have exactly one block, but it has " + r.blocks().size());
        }
        Block b = r.entry();
        if (b.terminator() == null) throw fail(op, rule, "region '" + regionName + "' has no terminator");
        return b;
    }

    static void expectRegions(Operation op, int n, String rule) {
        if (op.regions().size() != n) throw fail(op, rule, "expects " + n + " region(s), but has " + op.regions().size());
    }

    static List<Type> returnTypes(Block b) { return b.terminator().operandTypes(); }

    static List<Type> argTypes(Block b) {
        return b.arguments().stream().map(a -> (Type) a.type()).toList();
    }

    /** Accumulator types of a reducer body (its terminator's operand types), or {@code inputs} when absent. */
    static List<TensorType> accumulatorTypes(List<Region> regions, int index, List<TensorType> inputs) {
        if (regions.size() <= index || regions.get(index).isEmpty()) return inputs;
        Block b = regions.get(index).entry();
        if (b.terminator() == null) return inputs;
        List<TensorType> out = new ArrayList<>();
        for (Type t : b.terminator().operandTypes()) {
            if (!(t instanceof TensorType tt)) throw new IllegalArgumentException("reducer returns non-tensor " + t);
            out.add(tt);
        }
        return out;
    }

    /**
     * The spec's reducer-region rules (upstream's verifyReducerShape): 2N scalar-like arguments
     * [lhs_0..lhs_{N-1}, rhs_0..rhs_{N-1}], N returned tensors matching the arguments and promotable from the
     * inputs and init values; {@code allowedDims} bounds the rank of the arguments (empty = scalars).
     */
    static void verifyReducer(Operation op, Block block, List<TensorType> inputs, List<TensorType> inits,
                              long[] allowedDims, String rule) {
        int n = inputs.size();
        if (block.arguments().size() != 2 * n) {
            throw fail(op, rule, "Reduction-region must take " + 2 * n + " parameters, but takes "
                    + block.arguments().size() + " parameter(s)");
        }
        List<Type> results = returnTypes(block);
        if (results.isEmpty()) throw fail(op, rule, "The reduction-region expected to return some value(s)");
        if (results.size() != n) {
            throw fail(op, rule, "Reduction-region here must produce " + n + " tensors, but produces " + results.size() + " instead");
        }
        List<TensorType> acc = new ArrayList<>();
        for (Type t : results) {
            if (!(t instanceof TensorType tt)) {
                throw fail(op, rule, "Reduction-region here must produce tensor-typed result(s), but produces " + t + " instead");
            }
            acc.add(tt);
        }
        for (int i = 0; i < n; i++) {
            Type lhs = block.argument(i).type();
            Type rhs = block.argument(n + i).type();
            if (!compatibleShapeAndElementType(acc.get(i), lhs, false)) {
                throw fail(op, rule, "The type of reduction-region's parameter at index " + i
                        + " is different than the corresponding result type: " + lhs + " vs " + acc.get(i));
            }
            if (!compatibleShapeAndElementType(acc.get(i), rhs, true)) {
                throw fail(op, rule, "The type of reduction-region's parameter at index " + (n + i)
                        + " is different than the corresponding result type: " + rhs + " vs " + acc.get(i));
            }
            if (!compatibleShapes(inits.get(i).shape(), acc.get(i).shape())) {
                throw fail(op, rule, "The shape of reduction-region's result type at index " + i
                        + " differs from the op's corresponding init-value type: " + acc.get(i) + " vs " + inits.get(i));
            }
            if (!promotable(inits.get(i).elementType(), acc.get(i).elementType(), true)) {
                throw fail(op, rule, "The element-type of reduction-region's result type at index " + i
                        + " is expected to be promotable from the op's corresponding init-value element-type: "
                        + acc.get(i) + " vs " + inits.get(i));
            }
            TensorType rhsT = (TensorType) rhs;
            if (!promotable(inputs.get(i).elementType(), rhsT.elementType(), true)) {
                throw fail(op, rule, "The element-type of reduction-region's argument at index " + (n + i)
                        + " is expected to be promotable from " + inputs.get(i).elementType() + ", but got " + rhsT.elementType());
            }
            long[] argShape = rhsT.shape();
            if (argShape.length > allowedDims.length) {
                throw fail(op, rule, "The rank of reduction-region's argument at index " + (n + i)
                        + " is expected to be <= " + allowedDims.length + ", got " + argShape.length);
            }
            int argIdx = 0;
            for (int outIdx = 0; outIdx < allowedDims.length && argIdx < argShape.length; outIdx++) {
                if (compatibleDims(allowedDims[outIdx], argShape[argIdx])) argIdx++;
            }
            if (argIdx != argShape.length) {
                throw fail(op, rule, "The shape of reduction-region's argument at index " + (n + i)
                        + " is not compatible with that of reduce-op's input-parameter at index " + i);
            }
        }
    }

    // ---- attributes --------------------------------------------------------------------------

    /** A {@code array<i64: ...>} attribute, or null when absent. */
    static long[] i64Array(Operation op, String name, String rule) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (a instanceof DenseArrayAttr d && !d.isFloat()) return d.longs();
        throw fail(op, rule, "attribute '" + name + "' must be an array<i64: ...>, but got " + a);
    }

    static long[] requiredI64Array(Operation op, String name, String rule) {
        long[] v = i64Array(op, name, rule);
        if (v == null) throw fail(op, rule, "requires attribute '" + name + "'");
        return v;
    }

    /** An integer attribute, or {@code dflt} when absent. */
    static long integer(Operation op, String name, long dflt, String rule) {
        Attribute a = op.attr(name);
        if (a == null) return dflt;
        if (a instanceof IntegerAttr i) return i.value();
        throw fail(op, rule, "attribute '" + name + "' must be an integer, but got " + a);
    }

    static long requiredInteger(Operation op, String name, String rule) {
        if (op.attr(name) == null) throw fail(op, rule, "requires attribute '" + name + "'");
        return integer(op, name, 0, rule);
    }

    /** A bool attribute, false when absent. */
    static boolean bool(Operation op, String name, String rule) {
        Attribute a = op.attr(name);
        if (a == null) return false;
        if (a instanceof BoolAttr b) return b.value();
        throw fail(op, rule, "attribute '" + name + "' must be a bool, but got " + a);
    }

    /** A unit attribute: present or absent. */
    static boolean unit(Operation op, String name, String rule) {
        Attribute a = op.attr(name);
        if (a == null) return false;
        if (a instanceof UnitAttr) return true;
        throw fail(op, rule, "attribute '" + name + "' must be a unit attribute, but got " + a);
    }

    /** Shape and row-major values of an integer (or {@code index}) {@code dense<...>} attribute. */
    record DenseInts(long[] shape, long[] values) {
        long at(int row, int col) { return values[row * (int) shape[1] + col]; }
    }

    /** The values of an integer dense attribute, else null. */
    static DenseInts denseInts(DenseElementsAttr d) {
        return d.type().elementType() instanceof IntegerType ? values(d) : null;
    }

    /**
     * The values of an {@code index} (or integer) dense attribute, else null: StableHLO's layout attributes hold
     * {@code index} (JAX writes {@code operand_layouts = [dense<[0, 1]> : tensor<2xindex>]}), stored as signed 64-bit.
     */
    static DenseInts denseIndices(DenseElementsAttr d) {
        ElementType et = d.type().elementType();
        return et instanceof IndexType || et instanceof IntegerType ? values(d) : null;
    }

    private static DenseInts values(DenseElementsAttr d) {
        ElementType et = d.type().elementType();
        boolean unsigned = et instanceof IntegerType it && it.isUnsigned();
        byte[] raw = d.expandedData();
        int bytes = et.storageBytes();
        long[] out = new long[raw.length / bytes];
        for (int i = 0; i < out.length; i++) {
            long v = 0;
            for (int b = bytes - 1; b >= 0; b--) v = (v << 8) | (raw[i * bytes + b] & 0xFF);
            int shift = 64 - Math.min(64, bytes * 8);
            if (!unsigned && shift > 0) v = (v << shift) >> shift;
            out[i] = v;
        }
        return new DenseInts(d.type().shape(), out);
    }

    /** An integer dense-elements attribute, or null when absent. */
    static DenseInts denseInts(Operation op, String name, String rule) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (a instanceof DenseElementsAttr d) {
            DenseInts v = denseInts(d);
            if (v != null) return v;
        }
        throw fail(op, rule, "attribute '" + name + "' must be an integer dense<...> attribute, but got " + a);
    }

    /**
     * The {@code handle} of a {@code #stablehlo.channel_handle<handle = H, type = T>} attribute (0 when absent),
     * read from its canonical text so it works with whichever record models the attribute.
     */
    static long[] channelHandle(Operation op, String rule) {
        Attribute a = op.attr("channel_handle");
        if (a == null) return null;
        if (a instanceof ChannelHandle ch) return new long[] {ch.handle(), ch.type()};
        Map<String, String> f = structFields(a.toString(), "#stablehlo.channel_handle<");
        if (f == null || !f.containsKey("handle") || !f.containsKey("type")) {
            throw fail(op, rule, "attribute 'channel_handle' must be a #stablehlo.channel_handle<handle = ..., type = ...>, but got " + a);
        }
        try {
            return new long[] {Long.parseLong(f.get("handle")), Long.parseLong(f.get("type"))};
        } catch (NumberFormatException e) {
            throw fail(op, rule, "malformed channel_handle " + a);
        }
    }

    static long channelId(Operation op, String rule) {
        long[] h = channelHandle(op, rule);
        return h == null ? 0 : h[0];
    }

    /**
     * The {@code key = value} fields of a struct attribute's canonical text {@code prefix k = v, k = [a, b]>},
     * splitting at top-level commas only; null when the text does not start with {@code prefix}.
     */
    static Map<String, String> structFields(String text, String prefix) {
        if (!text.startsWith(prefix) || !text.endsWith(">")) return null;
        String body = text.substring(prefix.length(), text.length() - 1);
        Map<String, String> out = new TreeMap<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= body.length(); i++) {
            char c = i < body.length() ? body.charAt(i) : ',';
            if (c == '[' || c == '<' || c == '(' || c == '{') depth++;
            else if (c == ']' || c == '>' || c == ')' || c == '}') depth--;
            else if (c == ',' && depth == 0) {
                String field = body.substring(start, i).trim();
                start = i + 1;
                if (field.isEmpty()) continue;
                int eq = field.indexOf('=');
                if (eq < 0) return null;
                out.put(field.substring(0, eq).trim(), field.substring(eq + 1).trim());
            }
        }
        return out;
    }

    /** {@code [1, 2]} as written in a struct attribute field; empty when the field is absent. */
    static long[] intList(String field) {
        if (field == null) return new long[0];
        String s = field.trim();
        if (!s.startsWith("[") || !s.endsWith("]")) throw new IllegalArgumentException("not a list: " + field);
        s = s.substring(1, s.length() - 1).trim();
        if (s.isEmpty()) return new long[0];
        return Arrays.stream(s.split(",")).mapToLong(x -> Long.parseLong(x.trim())).toArray();
    }

    static boolean isEmptyArray(Attribute a) { return a instanceof ArrayAttr arr && arr.size() == 0; }
}
