package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.parse.MlirGrammar.*;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.NoneType;
import io.hlo4j.mlir.types.OpaqueType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

import java.util.ArrayList;
import java.util.List;

/** Turns the grammar's type contexts into {@link Type}s, checking what the grammar leaves open. */
final class TypeBuilder {
    private final OpParser p;

    TypeBuilder(OpParser p) { this.p = p; }

    Type build(Type_Context c) {
        if (c.tensorType() != null) return tensor(c.tensorType());
        if (c.namedType() != null) return named(c.namedType().BARE_ID().getSymbol());
        if (c.functionType() != null) return function(c.functionType());
        if (c.complexType() != null) {
            Type e = build(c.complexType().type_());
            if (!(e instanceof FloatType f) || (f.kind() != FloatKind.F32 && f.kind() != FloatKind.F64)) {
                throw p.cursor.errorAtPlain(c.getStart(), "complex element type must be f32 or f64, got " + e);
            }
            return new ComplexType(f);
        }
        if (c.tupleType() != null) {
            TypeListContext l = c.tupleType().typeList();
            return new TupleType(l == null ? List.of() : list(l));
        }
        if (c.quantType() != null) return quant(c.quantType());
        if (c.dialectType() != null) return p.dialectType(c.dialectType());
        if (c.opaqueBuiltinType() != null) return new OpaqueType(p.sourceText(c.opaqueBuiltinType()));
        throw p.cursor.errorAt(c.getStart(), "expected type");
    }

    List<Type> list(TypeListContext l) {
        List<Type> out = new ArrayList<>(l.type_().size());
        for (Type_Context t : l.type_()) out.add(build(t));
        return out;
    }

    FunctionType function(FunctionTypeContext f) {
        List<Type> in = f.typeList() == null ? List.of() : list(f.typeList());
        FunctionResultsContext r = f.functionResults();
        List<Type> out;
        if (r.type_() != null) out = List.of(build(r.type_()));
        else out = r.typeList() == null ? List.of() : list(r.typeList());
        return new FunctionType(in, out);
    }

    private Type tensor(TensorTypeContext t) {
        List<TerminalNode> dims = t.DIM();
        long[] shape = new long[dims.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            Token d = dims.get(i).getSymbol();
            String s = d.getText();
            if (s.charAt(0) == '?') {
                shape[i] = TensorType.DYNAMIC;
                continue;
            }
            try {
                shape[i] = Long.parseLong(s, 0, s.length() - 1, 10);
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (NumberFormatException | ArithmeticException e) {
                throw p.cursor.errorAtPlain(d, "tensor shape is too large: dimension " + s.substring(0, s.length() - 1)
                        + " makes the element count overflow 64 bits");
            }
        }
        Type e = build(t.type_());
        if (!(e instanceof ElementType et)) {
            throw p.cursor.errorAtPlain(t.type_().getStart(), "invalid tensor element type " + e);
        }
        Attribute encoding = t.attribute() == null ? null : p.attributes.build(t.attribute(), null);
        return TensorType.of(et, shape, encoding);
    }

    /** i32, si8, ui16, bf16, f8E4M3FN, index, none. */
    Type named(Token tok) { return named(tok.getText(), tok); }

    private Type named(String s, Token tok) {
        switch (s) {
            case "index": return IndexType.INSTANCE;
            case "none": return NoneType.INSTANCE;
            default: break;
        }
        IntegerType.Signedness sign = null;
        int digits = -1;
        if (s.startsWith("i")) { sign = IntegerType.Signedness.SIGNLESS; digits = 1; }
        else if (s.startsWith("si")) { sign = IntegerType.Signedness.SIGNED; digits = 2; }
        else if (s.startsWith("ui")) { sign = IntegerType.Signedness.UNSIGNED; digits = 2; }
        if (sign != null && s.length() > digits && s.length() - digits <= 9 && allDigits(s, digits)) {
            int w = Integer.parseInt(s.substring(digits));
            if (w < 1 || w > 64) throw p.cursor.errorAtPlain(tok, "integer type '" + s + "' has an unsupported width (1 to 64 bits)");
            return new IntegerType(w, sign);
        }
        FloatKind k = FloatKind.fromMnemonic(s);
        if (k != null) return new FloatType(k);
        throw p.cursor.errorAtPlain(tok, "unknown type '" + s + "'");
    }

    private static boolean allDigits(String s, int from) {
        for (int i = from; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    private Type quant(QuantTypeContext q) {
        Token storageTok = q.BARE_ID(0).getSymbol();
        IntegerType storage = quantStorage(storageTok);
        Long min = null, max = null;
        if (q.signedInteger().size() == 2) {
            min = signed(q.signedInteger(0), storage);
            max = signed(q.signedInteger(1), storage);
            if (min > max) throw p.cursor.errorAtPlain(storageTok, "quantized storage range is empty: " + min + ":" + max);
        }
        Token exprTok = q.BARE_ID(1).getSymbol();
        Type expressed = named(exprTok);
        if (!(expressed instanceof FloatType ft)) {
            throw p.cursor.errorAtPlain(exprTok, "quantized expressed type must be a float type, got " + expressed);
        }
        Integer axis = null;
        if (q.INTEGER() != null) {
            try {
                axis = Integer.parseInt(q.INTEGER().getText());
            } catch (NumberFormatException e) {
                throw p.cursor.errorAtPlain(q.INTEGER().getSymbol(), "quantized dimension is too large");
            }
        }
        List<Double> scales = new ArrayList<>();
        List<Long> zeroPoints = new ArrayList<>();
        for (QuantScaleContext s : q.quantScale()) {
            Token st = s.getStart();
            double scale = Double.parseDouble(st.getText());
            scales.add(scale);
            zeroPoints.add(s.signedInteger() == null ? 0L : signed(s.signedInteger(), storage));
        }
        boolean braces = q.LBRACE() != null;
        if (axis == null && braces) throw p.cursor.errorAtPlain(q.getStart(), "per-axis quantized type needs a quantized dimension (i8:f32:1, {...})");
        if (axis != null && !braces) throw p.cursor.errorAtPlain(q.getStart(), "per-axis quantized type needs its scales in braces");
        return new QuantizedType(storage, min, max, ft, axis, scales, zeroPoints);
    }

    /** Storage types of !quant.uniform: iN (signed), uN (unsigned), also the builtin spellings. */
    private IntegerType quantStorage(Token tok) {
        String s = tok.getText();
        if (s.startsWith("u") && !s.startsWith("ui") && s.length() > 1 && allDigits(s, 1)) {
            return (IntegerType) named("ui" + s.substring(1), tok);
        }
        Type t = named(tok);
        if (!(t instanceof IntegerType it)) throw p.cursor.errorAtPlain(tok, "quantized storage type must be an integer type, got " + t);
        return it;
    }

    private long signed(SignedIntegerContext c, IntegerType storage) {
        Token t = c.INTEGER().getSymbol();
        try {
            long m = Literals.magnitude(t.getText());
            if (m < 0) throw new Literals.BadLiteral("integer " + t.getText() + " is too large");
            return c.MINUS() != null ? -m : m;
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
    }
}
