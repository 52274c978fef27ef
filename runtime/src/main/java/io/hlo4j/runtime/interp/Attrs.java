package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads op attributes into plain Java values. Dialect struct and enum attributes are read from their
 * canonical text ({@code #stablehlo.gather<offset_dims = [1], ...>}, {@code #stablehlo<comparison_direction LT>}),
 * which every implementation of those attributes prints identically.
 */
final class Attrs {
    private Attrs() {}

    /** An integer list attribute, or null when absent. */
    static long[] ints(Operation op, String name) {
        return ints(op.attr(name), op, name);
    }

    static long[] ints(Attribute a, Operation op, String name) {
        return switch (a) {
            case null -> null;
            case DenseArrayAttr d -> d.longs();
            case DenseElementsAttr d -> Tensor.fromDense(d).ints;
            case ArrayAttr arr -> {
                long[] out = new long[arr.size()];
                for (int i = 0; i < out.length; i++) {
                    if (!(arr.get(i) instanceof IntegerAttr ia)) throw InterpreterException.at(op, name + " must hold integers, got " + a);
                    out[i] = ia.value();
                }
                yield out;
            }
            default -> throw InterpreterException.at(op, name + " must be an integer list, got " + a);
        };
    }

    static long[] ints(Operation op, String name, long[] dflt) {
        long[] v = ints(op, name);
        return v == null ? dflt : v;
    }

    static long[] required(Operation op, String name) {
        long[] v = ints(op, name);
        if (v == null) throw InterpreterException.at(op, "missing attribute " + name);
        return v;
    }

    static long integer(Operation op, String name, long dflt) {
        return switch (op.attr(name)) {
            case null -> dflt;
            case IntegerAttr i -> i.value();
            case BoolAttr b -> b.value() ? 1 : 0;
            case Attribute a -> throw InterpreterException.at(op, name + " must be an integer, got " + a);
        };
    }

    static double real(Operation op, String name, double dflt) {
        return switch (op.attr(name)) {
            case null -> dflt;
            case FloatAttr f -> f.value();
            case IntegerAttr i -> i.value();
            case Attribute a -> throw InterpreterException.at(op, name + " must be a float, got " + a);
        };
    }

    static boolean flag(Operation op, String name) {
        return switch (op.attr(name)) {
            case null -> false;
            case UnitAttr u -> true;
            case BoolAttr b -> b.value();
            case Attribute a -> throw InterpreterException.at(op, name + " must be a boolean, got " + a);
        };
    }

    static String string(Operation op, String name) {
        return switch (op.attr(name)) {
            case null -> null;
            case StringAttr s -> s.value();
            case SymbolRefAttr s -> s.root();
            case Attribute a -> a.toString();
        };
    }

    private static final Pattern ENUM = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*>?\\s*$");

    /** The keyword of an enum attribute ({@code #stablehlo<comparison_direction LT>} gives "LT"); null if absent. */
    static String enumValue(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (a instanceof StringAttr s) return s.value();
        // the parsed form: no printing and no regex (a sort's comparator asks once per element pair)
        if (a instanceof EnumAttr e) return e.value();
        Matcher m = ENUM.matcher(a.toString());
        if (!m.find()) throw InterpreterException.at(op, name + " is not an enum: " + a);
        return m.group(1);
    }

    /** Enum keywords of a list attribute ({@code [#stablehlo<precision DEFAULT>, ...]}). */
    static List<String> enumList(Operation op, String name) {
        Attribute a = op.attr(name);
        List<String> out = new ArrayList<>();
        if (a instanceof ArrayAttr arr) {
            for (Attribute e : arr.elements()) {
                Matcher m = ENUM.matcher(e.toString());
                if (m.find()) out.add(m.group(1));
            }
        }
        return out;
    }

    /**
     * The attribute {@code name} as the dialect's parser builds it (a typed record such as {@code
     * DotDimensionNumbers}), failing by name when it is absent or of another kind: kernels read fields, never text.
     */
    static <T> T typed(Operation op, String name, Class<T> type) {
        Attribute a = op.attr(name);
        if (a == null) throw InterpreterException.at(op, "missing attribute " + name);
        if (a instanceof io.hlo4j.mlir.attr.OpaqueAttr o) {
            // Built as text (test IR builders do this), not by the dialect's parser: parsed here, on every read, so
            // kernels still see fields. Parsed modules and the builders' ops carry typed attributes and skip this.
            try {
                a = io.hlo4j.mlir.parse.MlirParser.parseAttribute(o.text());
            } catch (RuntimeException e) {
                throw InterpreterException.at(op, name + " = " + o.text() + " does not parse as a " + type.getSimpleName() + ": " + e.getMessage());
            }
        }
        if (!type.isInstance(a)) throw InterpreterException.at(op, name + " must be a " + type.getSimpleName() + ", got " + a);
        return type.cast(a);
    }

    static long[] longs(List<Long> v) {
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    /** A 2-D integer matrix attribute such as {@code replica_groups}; rows in order. */
    static long[][] matrix(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (!(a instanceof DenseElementsAttr d)) throw InterpreterException.at(op, name + " must be a dense integer matrix, got " + a);
        Tensor t = Tensor.fromDense(d);
        if (t.rank() != 2) {
            if (t.size == 0) return new long[0][];
            throw InterpreterException.at(op, name + " must be 2-D, got " + d.type());
        }
        int r = (int) t.shape[0], c = (int) t.shape[1];
        long[][] out = new long[r][c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[i][j] = t.ints[i * c + j];
        return out;
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }
}
