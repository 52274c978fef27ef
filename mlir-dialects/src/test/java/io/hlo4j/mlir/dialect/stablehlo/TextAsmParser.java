package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small character-level {@link AsmParser} for tests of this package's attribute and op syntaxes, written
 * independently of the project's ANTLR parser. Unknown SSA names become fresh block arguments of the type they
 * are first resolved with, so single op lines can be parsed without their defining ops.
 */
final class TextAsmParser implements AsmParser {
    private final String s;
    private int pos;
    private final AttributeRegistry registry = OpRegistry.global().attributes();
    final Map<String, Value> scope = new LinkedHashMap<>();
    final Map<Value, String> names = new LinkedHashMap<>();

    TextAsmParser(String text) { this.s = text; }

    boolean atEnd() { ws(); return pos >= s.length(); }
    String rest() { return s.substring(pos); }

    private void ws() { while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++; }
    private char ch() { ws(); return pos < s.length() ? s.charAt(pos) : '\0'; }
    private static boolean idStart(char c) { return Character.isLetter(c) || c == '_'; }
    private static boolean idPart(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '.'; }

    @Override public ParseException error(String message) {
        ws();
        String found = pos < s.length() ? s.substring(pos, Math.min(s.length(), pos + 12)) : "<end>";
        return new ParseException(message + " (found '" + found + "')", "test", 1, pos + 1);
    }

    @Override public Location currentLocation() { return new Location.FileLineCol("test", 1, pos + 1); }

    @Override public void expect(String p) { if (!consumeIf(p)) throw error("expected '" + p + "'"); }

    @Override public boolean consumeIf(String p) {
        if (!peekIs(p)) return false;
        pos += p.length();
        return true;
    }

    @Override public boolean peekIs(String p) {
        ws();
        if (!s.startsWith(p, pos)) return false;
        // A word-like punctuation ("x") must not be the start of a longer identifier.
        return !(idStart(p.charAt(p.length() - 1)) && pos + p.length() < s.length() && idPart(s.charAt(pos + p.length())));
    }

    @Override public void expectKeyword(String kw) { if (!consumeKeywordIf(kw)) throw error("expected '" + kw + "'"); }

    @Override public boolean consumeKeywordIf(String kw) {
        String k = peekKeyword();
        if (!kw.equals(k)) return false;
        pos += k.length();
        return true;
    }

    @Override public String parseKeyword() {
        String k = peekKeyword();
        if (k == null) throw error("expected keyword");
        pos += k.length();
        return k;
    }

    @Override public String peekKeyword() {
        ws();
        if (pos >= s.length() || !idStart(s.charAt(pos))) return null;
        int e = pos;
        while (e < s.length() && idPart(s.charAt(e))) e++;
        return s.substring(pos, e);
    }

    @Override public long parseInteger() {
        ws();
        int start = pos;
        boolean neg = s.startsWith("-", pos);
        if (neg) pos++;
        if (s.startsWith("0x", pos)) {
            int e = pos + 2;
            while (e < s.length() && Character.digit(s.charAt(e), 16) >= 0) e++;
            long v = Long.parseUnsignedLong(s.substring(pos + 2, e), 16);
            pos = e;
            return neg ? -v : v;
        }
        int e = pos;
        while (e < s.length() && Character.isDigit(s.charAt(e))) e++;
        if (e == pos) { pos = start; throw error("expected integer"); }
        // Literals beyond the signed range (ui64, i64 minimum) keep their two's-complement bit pattern.
        long v = new java.math.BigInteger(s.substring(pos, e)).longValue();
        pos = e;
        return neg ? -v : v;
    }

    @Override public boolean peekInteger() {
        ws();
        int p = pos;
        if (p < s.length() && s.charAt(p) == '-') p++;
        return p < s.length() && Character.isDigit(s.charAt(p));
    }

    @Override public double parseFloat() {
        ws();
        var m = java.util.regex.Pattern.compile("-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?").matcher(s).region(pos, s.length());
        if (!m.lookingAt()) throw error("expected float");
        pos = m.end();
        return Double.parseDouble(m.group());
    }

    @Override public String parseString() {
        if (ch() != '"') throw error("expected string");
        StringBuilder sb = new StringBuilder();
        pos++;
        while (s.charAt(pos) != '"') {
            char c = s.charAt(pos++);
            if (c == '\\') {
                char n = s.charAt(pos++);
                sb.append(n == 'n' ? '\n' : n);
            } else sb.append(c);
        }
        pos++;
        return sb.toString();
    }

    @Override public String parseSymbolName() {
        expect("@");
        return parseKeyword();
    }

    @Override public boolean peekSymbolName() { return ch() == '@'; }

    @Override public OperandRef parseOperand() {
        if (ch() != '%') throw error("expected SSA operand");
        int e = pos + 1;
        while (e < s.length() && (Character.isLetterOrDigit(s.charAt(e)) || s.charAt(e) == '_' || s.charAt(e) == '$' || s.charAt(e) == '-')) e++;
        String name = s.substring(pos + 1, e);
        int num = -1;
        int col = pos + 1;
        if (e < s.length() && s.charAt(e) == '#') {
            int f = e + 1;
            while (f < s.length() && Character.isDigit(s.charAt(f))) f++;
            num = Integer.parseInt(s.substring(e + 1, f));
            e = f;
        }
        pos = e;
        return new OperandRef(name, num, 1, col);
    }

    @Override public boolean peekOperand() { return ch() == '%'; }

    @Override public List<OperandRef> parseOperandList() {
        List<OperandRef> refs = new ArrayList<>();
        if (!peekOperand()) return refs;
        do refs.add(parseOperand()); while (consumeIf(","));
        return refs;
    }

    @Override public Value resolve(OperandRef ref, Type type) {
        Value v = scope.get(ref.text());
        if (v == null) {
            v = Block.builder().addArgument(type);
            scope.put(ref.text(), v);
            names.put(v, ref.text());
        }
        if (!v.type().equals(type)) throw error("use of value '" + ref.text() + "' expects type " + type + ", has " + v.type());
        return v;
    }

    @Override public List<Value> resolve(List<OperandRef> refs, List<Type> types) {
        if (refs.size() != types.size()) throw error(refs.size() + " operands but " + types.size() + " types");
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < refs.size(); i++) out.add(resolve(refs.get(i), types.get(i)));
        return out;
    }

    @Override public Type typeOf(OperandRef ref) {
        Value v = scope.get(ref.text());
        if (v == null) throw error("unknown value " + ref.text());
        return v.type();
    }

    @Override public int resultCount() { return 1; }

    // ---- types ------------------------------------------------------------------------------------

    @Override public Type parseType() {
        if (ch() == '(') return parseFunctionType();
        if (ch() == '!') {
            pos++;
            String name = parseKeyword();
            if (name.equals("quant.uniform")) return parseQuant();
            AttributeRegistry.TypeParser tp = registry.type(name);
            if (tp == null) throw error("unknown dialect type !" + name);
            return tp.parse(this);
        }
        String k = parseKeyword();
        switch (k) {
            case "tensor" -> { return parseTensorBody(); }
            case "tuple" -> {
                expect("<");
                List<Type> ts = peekIs(">") ? List.of() : parseTypeList();
                expect(">");
                return new TupleType(ts);
            }
            case "complex" -> {
                expect("<");
                FloatType f = (FloatType) parseType();
                expect(">");
                return new ComplexType(f);
            }
            case "index" -> { return IndexType.INSTANCE; }
            default -> { return scalar(k); }
        }
    }

    private ElementType scalar(String k) {
        FloatKind fk = FloatKind.fromMnemonic(k);
        if (fk != null) return new FloatType(fk);
        if (k.matches("i[0-9]+")) return IntegerType.signless(Integer.parseInt(k.substring(1)));
        if (k.matches("ui[0-9]+")) return IntegerType.unsigned(Integer.parseInt(k.substring(2)));
        if (k.matches("si[0-9]+")) return new IntegerType(Integer.parseInt(k.substring(2)), IntegerType.Signedness.SIGNED);
        throw error("unknown type " + k);
    }

    private Type parseTensorBody() {
        expect("<");
        List<Long> dims = new ArrayList<>();
        while (true) {
            ws();
            if (s.charAt(pos) == '?') { pos++; dims.add(TensorType.DYNAMIC); }
            else if (Character.isDigit(s.charAt(pos))) {
                int e = pos;
                while (Character.isDigit(s.charAt(e))) e++;
                dims.add(Long.parseLong(s.substring(pos, e)));
                pos = e;
            } else break;
            if (s.charAt(pos) != 'x') throw error("expected 'x' in tensor shape");
            pos++;
        }
        ElementType et = (ElementType) parseType();
        Attribute enc = consumeIf(",") ? parseAttribute() : null;
        expect(">");
        return TensorType.of(et, dims.stream().mapToLong(Long::longValue).toArray(), enc);
    }

    private Type parseQuant() {
        expect("<");
        IntegerType storage = (IntegerType) scalar(parseKeyword());
        Long min = null, max = null;
        if (consumeIf("<")) { min = parseInteger(); expect(":"); max = parseInteger(); expect(">"); }
        expect(":");
        FloatType expressed = (FloatType) scalar(parseKeyword());
        Integer axis = null;
        if (consumeIf(":")) axis = (int) parseInteger();
        expect(",");
        List<Double> scales = new ArrayList<>();
        List<Long> zps = new ArrayList<>();
        boolean braces = consumeIf("{");
        do {
            ws();
            var m = java.util.regex.Pattern.compile("-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?").matcher(s).region(pos, s.length());
            if (!m.lookingAt()) throw error("expected scale");
            scales.add(Double.parseDouble(m.group()));
            pos = m.end();
            zps.add(consumeIf(":") ? parseInteger() : 0L);
        } while (braces && consumeIf(","));
        if (braces) expect("}");
        expect(">");
        return new QuantizedType(storage, min, max, expressed, axis, scales, zps);
    }

    @Override public List<Type> parseTypeList() {
        List<Type> ts = new ArrayList<>();
        do ts.add(parseType()); while (consumeIf(","));
        return ts;
    }

    @Override public FunctionType parseFunctionType() {
        expect("(");
        List<Type> in = peekIs(")") ? List.of() : parseTypeList();
        expect(")");
        expect("->");
        List<Type> out;
        if (consumeIf("(")) {
            out = peekIs(")") ? List.of() : parseTypeList();
            expect(")");
        } else out = List.of(parseType());
        return new FunctionType(in, out);
    }

    // ---- attributes -------------------------------------------------------------------------------

    @Override public Attribute parseAttribute() { return parseAttribute(null); }

    @Override public Attribute parseAttribute(Type type) {
        char c = ch();
        if (c == '#') {
            pos++;
            String name = peekKeyword();
            pos += name.length();
            AttributeRegistry.AttributeParser ap = registry.attribute(name);
            if (ap == null) throw error("unknown attribute #" + name);
            return ap.parse(this);
        }
        if (c == '[') {
            pos++;
            List<Attribute> es = new ArrayList<>();
            if (!consumeIf("]")) {
                do es.add(parseAttribute()); while (consumeIf(","));
                expect("]");
            }
            return new ArrayAttr(es);
        }
        if (c == '"') return new StringAttr(parseString());
        if (c == '@') return SymbolRefAttr.of(parseSymbolName());
        if (c == '{') return parseDict();
        if (peekInteger()) {
            int save = pos;
            long v = parseInteger();
            if (ch() == '.' || ch() == 'e') {
                pos = save;
                double d = parseFloat();
                expect(":");
                return new FloatAttr(d, (FloatType) parseType());
            }
            Type t = consumeIf(":") ? parseType() : IntegerType.I64;
            return new IntegerAttr(v, t);
        }
        String k = parseKeyword();
        switch (k) {
            case "true", "false" -> { return BoolAttr.of(k.equals("true")); }
            case "unit" -> { return UnitAttr.INSTANCE; }
            case "array" -> {
                expect("<");
                String et = parseKeyword();
                List<Long> vs = new ArrayList<>();
                if (consumeIf(":")) {
                    do {
                        String kw = peekKeyword();
                        vs.add(kw != null ? (parseKeyword().equals("true") ? 1L : 0L) : parseInteger());
                    } while (consumeIf(","));
                }
                expect(">");
                long[] l = vs.stream().mapToLong(Long::longValue).toArray();
                if (et.equals("i1")) {
                    boolean[] b = new boolean[l.length];
                    for (int i = 0; i < l.length; i++) b[i] = l[i] != 0;
                    return DenseArrayAttr.ofBools(b);
                }
                return DenseArrayAttr.ofInts((IntegerType) scalar(et), l);
            }
            case "dense" -> { return parseDense(); }
            default -> throw error("unsupported attribute " + k);
        }
    }

    /** dense<..> of integers only (flat, nested or splat) : tensor<...>. */
    private Attribute parseDense() {
        expect("<");
        List<Long> vs = new ArrayList<>();
        int depth = 0;
        do {
            while (consumeIf("[")) depth++;
            if (!peekIs("]")) vs.add(parseInteger());
            while (depth > 0 && consumeIf("]")) depth--;
        } while (consumeIf(","));
        expect(">");
        expect(":");
        TensorType t = (TensorType) parseType();
        int w = t.elementType().storageBytes();
        ByteBuffer bb = ByteBuffer.allocate(vs.size() * w).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : vs) {
            switch (w) {
                case 1 -> bb.put((byte) v);
                case 2 -> bb.putShort((short) v);
                case 4 -> bb.putInt((int) v);
                default -> bb.putLong(v);
            }
        }
        boolean splat = vs.size() == 1 && t.numElements() != 1;
        return splat ? DenseElementsAttr.splat(t, bb.array()) : DenseElementsAttr.of(t, bb.array());
    }

    private DictionaryAttr parseDict() {
        expect("{");
        Map<String, Attribute> m = new TreeMap<>();
        if (!consumeIf("}")) {
            do {
                String k = parseKeyword();
                m.put(k, consumeIf("=") ? parseAttribute() : UnitAttr.INSTANCE);
            } while (consumeIf(","));
            expect("}");
        }
        return DictionaryAttr.of(m);
    }

    @Override public DictionaryAttr parseOptionalAttrDict() { return ch() == '{' ? parseDict() : DictionaryAttr.EMPTY; }

    @Override public DictionaryAttr parseOptionalAttrDictWithKeyword() {
        return consumeKeywordIf("attributes") ? parseDict() : DictionaryAttr.EMPTY;
    }

    @Override public Location parseOptionalLocation() { return null; }

    @Override public ParsedArgument parseArgument(boolean requireType, boolean allowAttributes) {
        throw new UnsupportedOperationException("regions are not used by these ops");
    }

    @Override public Region parseRegion(List<ParsedArgument> entryArguments) {
        throw new UnsupportedOperationException("regions are not used by these ops");
    }

    @Override public boolean peekRegion() { return false; }
}
