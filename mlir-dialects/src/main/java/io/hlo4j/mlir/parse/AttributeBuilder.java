package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.LocationAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.parse.MlirGrammar.*;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.Type;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the grammar's attribute and location contexts into attributes, checking literals against their types. */
final class AttributeBuilder {
    private final OpParser p;

    AttributeBuilder(OpParser p) { this.p = p; }

    /** {@code supplied}: the type the caller imposes on an untyped literal (null when none). */
    Attribute build(AttributeContext c, Type supplied) {
        if (c.numberAttr() != null) {
            NumberAttrContext n = c.numberAttr();
            return number(n.number(), n.type_() != null ? p.types.build(n.type_()) : supplied);
        }
        if (c.denseAttr() != null) {
            DenseAttrContext d = c.denseAttr();
            Type t = d.type_() != null ? p.types.build(d.type_()) : supplied;
            if (t == null) throw p.cursor.errorAtPlain(d.getStop(), "dense literal needs a type: dense<...> : tensor<...>");
            return p.dense.build(d.denseLiteralBody(), t);
        }
        if (c.dictionaryAttr() != null) return dictionary(c.dictionaryAttr());
        if (c.arrayAttr() != null) {
            List<Attribute> es = new ArrayList<>(c.arrayAttr().attribute().size());
            for (AttributeContext e : c.arrayAttr().attribute()) es.add(build(e, null));
            return new ArrayAttr(es);
        }
        if (c.stringAttr() != null) {
            StringAttrContext s = c.stringAttr();
            return new StringAttr(string(s.STRING().getSymbol()), s.type_() == null ? null : p.types.build(s.type_()));
        }
        if (c.denseArrayAttr() != null) return denseArray(c.denseArrayAttr());
        if (c.boolAttr() != null) return BoolAttr.of(c.boolAttr().KW_TRUE() != null);
        if (c.unitAttr() != null) return UnitAttr.INSTANCE;
        if (c.symbolRefAttr() != null) {
            List<TerminalNode> ids = c.symbolRefAttr().AT_ID();
            List<String> nested = new ArrayList<>();
            for (int i = 1; i < ids.size(); i++) nested.add(symbol(ids.get(i).getSymbol()));
            return new SymbolRefAttr(symbol(ids.get(0).getSymbol()), nested);
        }
        if (c.location() != null) return new LocationAttr(location(c.location().locationBody()));
        if (c.dialectAttr() != null) return p.dialectAttribute(c.dialectAttr());
        if (c.type_() != null) return new TypeAttr(p.types.build(c.type_()));
        if (c.denseResourceAttr() != null) {
            throw p.cursor.errorAtPlain(c.getStart(), "dense_resource is not supported: hlo4j reads constants only from dense<...> literals (the resource blob would live in a {-# dialect_resources #-} section)");
        }
        throw p.cursor.errorAt(c.getStart(), "expected attribute");
    }

    Attribute untyped(UntypedAttributeContext c, Type type) {
        if (c.denseLiteralBody() != null) return p.dense.build(c.denseLiteralBody(), type);
        if (c.number() != null) return number(c.number(), type);
        return build(c.attribute(), type);
    }

    DictionaryAttr dictionary(DictionaryAttrContext d) {
        if (d.dictEntry().isEmpty()) return DictionaryAttr.EMPTY;
        Map<String, Attribute> m = new LinkedHashMap<>();
        for (DictEntryContext e : d.dictEntry()) {
            String key = e.identifier() != null ? e.identifier().getText() : string(e.STRING().getSymbol());
            Attribute v = e.attribute() == null ? UnitAttr.INSTANCE : build(e.attribute(), null);
            if (m.put(key, v) != null) throw p.cursor.errorAtPlain(e.getStart(), "duplicate key '" + key + "' in dictionary attribute");
        }
        return DictionaryAttr.of(m);
    }

    String string(Token t) {
        try {
            return Literals.unquote(t.getText());
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
    }

    String symbol(Token t) {
        String s = t.getText();
        if (s.charAt(1) != '"') return s.substring(1);
        try {
            return Literals.unquote(s.substring(1));
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
    }

    // ---- numbers ------------------------------------------------------------------------------------------
    Attribute number(NumberContext n, Type type) {
        Token t = n.getStop();
        boolean neg = n.MINUS() != null;
        int kind = t.getType();
        if (type == null) type = kind == MlirLexer.FLOAT ? FloatType.F64 : IntegerType.I64;
        if (type instanceof FloatType ft) return new FloatAttr(floatValue(t, neg, ft.kind(), false), ft);
        if (type instanceof IntegerType it) return new IntegerAttr(integerBits(t, neg, it), it);
        if (type instanceof IndexType) return new IntegerAttr(integerBits(t, neg, IntegerType.I64), type);
        throw p.cursor.errorAtPlain(n.getStart(), "number literal is not valid for type " + type);
    }

    /** The bit pattern of an integer literal for {@code it} (sign-extended for signless/signed types). */
    long integerBits(Token t, boolean neg, IntegerType it) {
        if (t.getType() == MlirLexer.FLOAT) {
            throw p.cursor.errorAtPlain(t, "floating point literal " + t.getText() + " is not valid for integer type " + it);
        }
        try {
            long m = Literals.magnitude(t.getText());
            return Literals.fitInteger(neg, m, it.width(), it.signedness() == IntegerType.Signedness.SIGNED,
                    it.isUnsigned(), it.toString());
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
    }

    /**
     * The value of a float literal rounded to {@code kind}. Hex literals are bit patterns of that format;
     * decimal integers are accepted only where MLIR accepts them (dense literals).
     */
    double floatValue(Token t, boolean neg, FloatKind kind, boolean allowInteger) {
        if (t.getType() == MlirLexer.HEX) return FloatCodecs.decode(p, t, kind, floatBits(t, neg, kind));
        if (t.getType() == MlirLexer.INTEGER && !allowInteger) {
            throw p.cursor.errorAtPlain(t, "unexpected decimal integer literal " + t.getText()
                    + " for a floating point value (add a trailing dot to make it a float)");
        }
        double v = Double.parseDouble(t.getText());
        return FloatCodecs.round(p, t, kind, neg ? -v : v);
    }

    /** The bits of a hex float literal, checked to fit the format. */
    long floatBits(Token t, boolean neg, FloatKind kind) {
        if (neg) throw p.cursor.errorAtPlain(t, "hexadecimal float literal should not have a leading minus sign");
        long bits;
        try {
            bits = Literals.magnitude(t.getText());
        } catch (Literals.BadLiteral e) {
            throw p.cursor.errorAtPlain(t, e.getMessage());
        }
        int w = kind.bitWidth();
        if (w < 64 && (bits >>> w) != 0) {
            throw p.cursor.errorAtPlain(t, "hexadecimal float constant " + t.getText() + " does not fit in " + kind.mnemonic());
        }
        return bits;
    }

    private Attribute denseArray(DenseArrayAttrContext d) {
        Type t = p.types.build(d.type_());
        List<DenseScalarContext> es = d.denseScalar();
        if (t instanceof IntegerType it) {
            long[] vs = new long[es.size()];
            for (int i = 0; i < vs.length; i++) {
                DenseScalarContext e = es.get(i);
                if (e.number() == null) {
                    if (it.width() != 1) throw p.cursor.errorAtPlain(e.getStart(), "true/false are only valid in array<i1: ...>");
                    vs[i] = e.KW_TRUE() != null ? 1 : 0;
                } else {
                    vs[i] = integerBits(e.number().getStop(), e.number().MINUS() != null, it);
                }
            }
            return DenseArrayAttr.ofInts(it, vs);
        }
        if (t instanceof FloatType ft) {
            double[] vs = new double[es.size()];
            for (int i = 0; i < vs.length; i++) {
                DenseScalarContext e = es.get(i);
                if (e.number() == null) throw p.cursor.errorAtPlain(e.getStart(), "expected a float element in array<" + ft + ": ...>");
                vs[i] = floatValue(e.number().getStop(), e.number().MINUS() != null, ft.kind(), true);
            }
            return DenseArrayAttr.ofFloats(ft, vs);
        }
        throw p.cursor.errorAtPlain(d.type_().getStart(), "array<...> element type must be an integer or float type, got " + t);
    }

    // ---- locations ----------------------------------------------------------------------------------------
    Location location(LocationBodyContext c) {
        if (c instanceof UnknownLocContext) return Location.UNKNOWN;
        if (c instanceof AliasLocContext a) return p.locationAlias(a.HASH_ID().getSymbol());
        if (c instanceof NameLocContext n) {
            Location child = n.locationBody() == null ? Location.UNKNOWN : location(n.locationBody());
            return new Location.Named(string(n.STRING().getSymbol()), child);
        }
        if (c instanceof FileLocContext f) {
            List<TerminalNode> ints = f.INTEGER();
            int line = smallInt(ints.get(0).getSymbol());
            int col = smallInt(ints.get(1).getSymbol());
            int endLine = -1, endCol = -1;
            if (ints.size() == 3) { endLine = 0; endCol = smallInt(ints.get(2).getSymbol()); }
            if (ints.size() == 4) { endLine = smallInt(ints.get(2).getSymbol()); endCol = smallInt(ints.get(3).getSymbol()); }
            return new Location.FileLineCol(string(f.STRING().getSymbol()), line, col, endLine, endCol);
        }
        if (c instanceof CallSiteLocContext s) return new Location.CallSite(location(s.locationBody(0)), location(s.locationBody(1)));
        if (c instanceof FusedLocContext f) {
            List<Location> ls = new ArrayList<>();
            for (LocationBodyContext l : f.locationBody()) ls.add(location(l));
            // as MLIR's FusedLoc::get: no members is loc(unknown), or with metadata fused<m>[unknown], so that the op
            // keeps the place it was parsed at (orParsedAt)
            if (ls.isEmpty() && f.attribute() == null) return Location.UNKNOWN;
            if (ls.isEmpty()) ls.add(Location.UNKNOWN);
            return new Location.Fused(ls, f.attribute() == null ? null : build(f.attribute(), null));
        }
        throw p.cursor.errorAt(c.getStart(), "expected location");
    }

    private int smallInt(Token t) {
        try {
            return Integer.parseInt(t.getText());
        } catch (NumberFormatException e) {
            throw p.cursor.errorAtPlain(t, "line or column number " + t.getText() + " is too large");
        }
    }
}
