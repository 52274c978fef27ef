package io.hlo4j.mlir.dialect.check.testing;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DialectAttribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatCodec;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deliberately small, character-level implementation of {@link AsmParser} and {@link AsmPrinter} for
 * testing op syntaxes and dialect attributes before the project's real parser and printer exist. It
 * knows ranked tensors of the common element types, integer/float/string/bool/array/symbol attributes,
 * {@code dense<...>} of integers and f32/f64 (nested lists or splats), registered dialect attributes and
 * single-block regions whose ops use pretty syntax. It is a test fixture, not a second parser.
 */
public final class MiniAsm {
    private MiniAsm() {}

    /** Parses one op (with {@code %a, %b =} results) from {@code text}; {@code scope} gives the values its operands name. */
    public static Operation parseOp(String text, Map<String, Value> scope) {
        Parser p = new Parser(text, scope);
        Operation op = p.parseOperation();
        p.skipWs();
        if (p.pos != text.length()) throw p.error("trailing text");
        return op;
    }

    /** Like {@link #parseOp} but every operand not yet defined becomes a value of the type the op's syntax gives it. */
    public static Operation parseOpDeclaringOperands(String text, Map<String, Value> scope) {
        Parser p = new Parser(text, scope);
        p.autoDeclare = true;
        Operation op = p.parseOperation();
        p.skipWs();
        if (p.pos != text.length()) throw p.error("trailing text");
        scope.putAll(p.scopes.get(0));
        return op;
    }

    /** Parses a dialect attribute such as {@code #sdy.sharding<@mesh, [{"x"}]>}. */
    public static Attribute parseAttribute(String text) {
        Parser p = new Parser(text, Map.of());
        Attribute a = p.parseAttribute();
        p.skipWs();
        if (p.pos != text.length()) throw p.error("trailing text");
        return a;
    }

    /** Prints one op the way the module printer will (pretty form when the op has one), naming values per {@code names}. */
    public static String print(Operation op, Map<Value, String> names) {
        Printer pr = new Printer(names);
        pr.printOp(op);
        return pr.sb.toString();
    }

    /** Block arguments to use as operands: {@code args("a", "tensor<2xf32>", "b", ...)}. */
    public static Map<String, Value> args(String... nameTypePairs) {
        Block.Builder b = Block.builder();
        Map<String, Value> m = new LinkedHashMap<>();
        for (int i = 0; i < nameTypePairs.length; i += 2) {
            m.put(nameTypePairs[i], b.addArgument(new Parser(nameTypePairs[i + 1], Map.of()).parseType()));
        }
        b.build();
        return m;
    }

    public static Map<Value, String> names(Map<String, Value> scope) {
        Map<Value, String> m = new IdentityHashMap<>();
        scope.forEach((k, v) -> m.put(v, k));
        return m;
    }

    public static Type type(String text) { return new Parser(text, Map.of()).parseType(); }

    // ============================================================================================

    static final class Parser implements AsmParser {
        final String s;
        int pos;
        final Deque scopes = new Deque();
        private int resultCount;
        /** When set, an undefined operand becomes a fresh block argument of the type the syntax asks for. */
        boolean autoDeclare;

        Parser(String s, Map<String, Value> scope) {
            this.s = s;
            scopes.push(new HashMap<>(scope));
        }

        /** Scope stack (values defined in regions shadow nothing; names must be unique in tests). */
        static final class Deque extends ArrayList<Map<String, Value>> {
            void push(Map<String, Value> m) { add(m); }
            void pop() { remove(size() - 1); }
            Value find(String n) {
                for (int i = size() - 1; i >= 0; i--) if (get(i).containsKey(n)) return get(i).get(n);
                return null;
            }
        }

        void skipWs() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (Character.isWhitespace(c)) pos++;
                else if (s.startsWith("//", pos)) { while (pos < s.length() && s.charAt(pos) != '\n') pos++; }
                else break;
            }
        }

        char peekChar() { skipWs(); return pos < s.length() ? s.charAt(pos) : '\0'; }

        @Override public ParseException error(String message) {
            String tok = pos < s.length() ? s.substring(pos, Math.min(s.length(), pos + 12)) : "<eof>";
            return new ParseException(message + " (found '" + tok + "')", "<mini>", 1, pos + 1);
        }

        @Override public Location currentLocation() { return new Location.FileLineCol("<mini>", 1, pos + 1); }

        @Override public void expect(String p) { if (!consumeIf(p)) throw error("expected '" + p + "'"); }

        @Override public boolean consumeIf(String p) {
            if (!peekIs(p)) return false;
            pos += p.length();
            return true;
        }

        @Override public boolean peekIs(String p) {
            skipWs();
            if (!s.startsWith(p, pos)) return false;
            // '-' alone must not match the start of '->'.
            return !(p.equals("-") && s.startsWith("->", pos));
        }

        private static boolean idStart(char c) { return Character.isLetter(c) || c == '_'; }
        private static boolean idPart(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '.'; }

        @Override public String peekKeyword() {
            skipWs();
            if (pos >= s.length() || !idStart(s.charAt(pos))) return null;
            int e = pos;
            while (e < s.length() && idPart(s.charAt(e))) e++;
            return s.substring(pos, e);
        }

        @Override public String parseKeyword() {
            String k = peekKeyword();
            if (k == null) throw error("expected a keyword");
            pos += k.length();
            return k;
        }

        @Override public void expectKeyword(String kw) { if (!consumeKeywordIf(kw)) throw error("expected '" + kw + "'"); }

        @Override public boolean consumeKeywordIf(String kw) {
            if (!kw.equals(peekKeyword())) return false;
            pos += kw.length();
            return true;
        }

        @Override public boolean peekInteger() {
            skipWs();
            int p = pos;
            if (p < s.length() && s.charAt(p) == '-') p++;
            return p < s.length() && Character.isDigit(s.charAt(p));
        }

        @Override public long parseInteger() {
            if (!peekInteger()) throw error("expected an integer");
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            if (s.startsWith("0x", pos)) {
                pos += 2;
                int b = pos;
                while (pos < s.length() && Character.digit(s.charAt(pos), 16) >= 0) pos++;
                return Long.parseUnsignedLong(s.substring(b, pos), 16);
            }
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            return Long.parseLong(s.substring(start, pos));
        }

        @Override public double parseFloat() {
            skipWs();
            int start = pos;
            if (pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) pos++;
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || ".eE".indexOf(s.charAt(pos)) >= 0
                    || ((s.charAt(pos) == '-' || s.charAt(pos) == '+') && "eE".indexOf(s.charAt(pos - 1)) >= 0))) pos++;
            if (start == pos) throw error("expected a number");
            return Double.parseDouble(s.substring(start, pos));
        }

        @Override public String parseString() {
            if (peekChar() != '"') throw error("expected a string");
            pos++;
            StringBuilder sb = new StringBuilder();
            while (s.charAt(pos) != '"') {
                char c = s.charAt(pos++);
                if (c == '\\') {
                    char n = s.charAt(pos++);
                    if (n == '"' || n == '\\') sb.append(n);
                    else if (n == 'n') sb.append('\n');
                    else { sb.append((char) Integer.parseInt("" + n + s.charAt(pos++), 16)); }
                } else sb.append(c);
            }
            pos++;
            return sb.toString();
        }

        @Override public String parseSymbolName() {
            expect("@");
            if (peekChar() == '"') return parseString();
            int b = pos;
            while (pos < s.length() && idPart(s.charAt(pos))) pos++;
            return s.substring(b, pos);
        }

        @Override public boolean peekSymbolName() { return peekChar() == '@'; }

        @Override public OperandRef parseOperand() {
            if (peekChar() != '%') throw error("expected an operand");
            pos++;
            int b = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
            String name = s.substring(b, pos);
            int num = -1;
            if (pos < s.length() && s.charAt(pos) == '#') { pos++; num = (int) parseInteger(); }
            return new OperandRef(name, num, 1, b);
        }

        @Override public boolean peekOperand() { return peekChar() == '%'; }

        @Override public List<OperandRef> parseOperandList() {
            List<OperandRef> l = new ArrayList<>();
            if (!peekOperand()) return l;
            do l.add(parseOperand()); while (consumeIf(","));
            return l;
        }

        @Override public Value resolve(OperandRef ref, Type type) {
            String key = ref.name() + (ref.resultNumber() >= 0 ? "#" + ref.resultNumber() : "");
            Value v = scopes.find(key);
            if (v == null && autoDeclare) {
                Block.Builder bb = Block.builder();
                v = bb.addArgument(type);
                bb.build();
                scopes.get(0).put(key, v);
            }
            if (v == null) throw error("use of undefined value " + ref.text());
            if (!v.type().equals(type)) throw error("value " + ref.text() + " has type " + v.type() + ", expected " + type);
            return v;
        }

        @Override public List<Value> resolve(List<OperandRef> refs, List<Type> types) {
            if (refs.size() != types.size()) throw error(refs.size() + " operands but " + types.size() + " types");
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < refs.size(); i++) out.add(resolve(refs.get(i), types.get(i)));
            return out;
        }

        @Override public Type typeOf(OperandRef ref) {
            Value v = scopes.find(ref.name());
            if (v == null) throw error("use of undefined value " + ref.text());
            return v.type();
        }

        @Override public int resultCount() { return resultCount; }

        @Override public Type parseType() {
            skipWs();
            if (consumeIf("!stablehlo.token")) return TokenType.INSTANCE;
            if (peekIs("(")) return parseFunctionType();
            if (consumeIf("tensor<")) {
                List<Long> dims = new ArrayList<>();
                while (true) {
                    if (s.charAt(pos) == '?' && s.charAt(pos + 1) == 'x') { dims.add(TensorType.DYNAMIC); pos += 2; continue; }
                    int b = pos;
                    while (Character.isDigit(s.charAt(pos))) pos++;
                    if (b < pos && s.charAt(pos) == 'x') { dims.add(Long.parseLong(s.substring(b, pos))); pos++; continue; }
                    pos = b;
                    break;
                }
                ElementType et = (ElementType) parseType();
                expect(">");
                return TensorType.of(et, dims.stream().mapToLong(Long::longValue).toArray());
            }
            if (consumeIf("complex<")) {
                FloatType f = (FloatType) parseType();
                expect(">");
                return new ComplexType(f);
            }
            int b = pos;
            while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) pos++;
            String t = s.substring(b, pos);
            if (t.matches("i[0-9]+")) return IntegerType.signless(Integer.parseInt(t.substring(1)));
            if (t.matches("ui[0-9]+")) return IntegerType.unsigned(Integer.parseInt(t.substring(2)));
            if (t.matches("si[0-9]+")) return new IntegerType(Integer.parseInt(t.substring(2)), IntegerType.Signedness.SIGNED);
            FloatKind k = FloatKind.fromMnemonic(t);
            if (k != null) return new FloatType(k);
            pos = b;
            throw error("unknown type");
        }

        @Override public List<Type> parseTypeList() {
            List<Type> l = new ArrayList<>();
            do l.add(parseType()); while (consumeIf(","));
            return l;
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

        @Override public Attribute parseAttribute() { return parseAttribute(null); }

        @Override public Attribute parseAttribute(Type type) {
            skipWs();
            char c = peekChar();
            if (c == '#') {
                pos++;
                int b = pos;
                while (pos < s.length() && idPart(s.charAt(pos))) pos++;
                String name = s.substring(b, pos);
                AttributeRegistry.AttributeParser ap = OpRegistry.global().attributes().attribute(name);
                if (ap == null) throw error("unregistered attribute #" + name);
                return ap.parse(this);
            }
            if (c == '@') return SymbolRefAttr.of(parseSymbolName());
            if (c == '"') return new StringAttr(parseString());
            if (c == '[') {
                pos++;
                List<Attribute> l = new ArrayList<>();
                if (!consumeIf("]")) {
                    do l.add(parseAttribute()); while (consumeIf(","));
                    expect("]");
                }
                return new ArrayAttr(l);
            }
            if (consumeKeywordIf("true")) return BoolAttr.TRUE;
            if (consumeKeywordIf("false")) return BoolAttr.FALSE;
            if (consumeKeywordIf("unit")) return UnitAttr.INSTANCE;
            if (consumeIf("array<")) {
                Type et = parseType();
                List<Long> vals = new ArrayList<>();
                if (consumeIf(":")) do vals.add(parseInteger()); while (consumeIf(","));
                expect(">");
                return DenseArrayAttr.ofInts((IntegerType) et, vals.stream().mapToLong(Long::longValue).toArray());
            }
            if (consumeIf("dense<")) return parseDense();
            int save = pos;
            double d = parseFloat();
            String lit = s.substring(save, pos).trim();
            boolean isFloat = lit.contains(".") || lit.contains("e") || lit.contains("E");
            Type t = type;
            if (t == null && consumeIf(":")) t = parseType();
            if (t instanceof FloatType f) return new FloatAttr(d, f);
            if (isFloat) return new FloatAttr(d, FloatType.F64);
            return new IntegerAttr(Long.parseLong(lit), t == null ? IntegerType.I64 : t);
        }

        private Attribute parseDense() {
            if (peekChar() == '"') {
                String hex = parseString();
                expect(">");
                expect(":");
                TensorType t = (TensorType) parseType();
                byte[] raw = new byte[(hex.length() - 2) / 2];
                for (int i = 0; i < raw.length; i++) raw[i] = (byte) Integer.parseInt(hex.substring(2 + 2 * i, 4 + 2 * i), 16);
                return raw.length == t.elementType().storageBytes() && t.numElements() != 1
                        ? DenseElementsAttr.splat(t, raw) : DenseElementsAttr.of(t, raw);
            }
            List<String> flat = new ArrayList<>();
            boolean splat = peekChar() != '[';
            collect(flat);
            expect(">");
            expect(":");
            TensorType t = (TensorType) parseType();
            ElementType et = t.elementType();
            int eb = et.storageBytes();
            byte[] out = new byte[flat.size() * eb];
            for (int i = 0; i < flat.size(); i++) {
                String v = flat.get(i);
                long bits;
                if (v.startsWith("0x")) bits = Long.parseUnsignedLong(v.substring(2), 16);
                else if (et instanceof FloatType f) bits = FloatCodec.encode(f.kind(), Double.parseDouble(v));
                else if (v.equals("true") || v.equals("false")) bits = v.equals("true") ? 1 : 0;
                else bits = Long.parseLong(v);
                for (int k = 0; k < eb; k++) out[i * eb + k] = (byte) (bits >>> (8 * k));
            }
            if (splat && t.numElements() != 1) return DenseElementsAttr.splat(t, out);
            return DenseElementsAttr.of(t, out);
        }

        private void collect(List<String> flat) {
            if (consumeIf("[")) {
                if (consumeIf("]")) return;
                do collect(flat); while (consumeIf(","));
                expect("]");
                return;
            }
            skipWs();
            int b = pos;
            while (pos < s.length() && ",]>".indexOf(s.charAt(pos)) < 0 && !Character.isWhitespace(s.charAt(pos))) pos++;
            flat.add(s.substring(b, pos));
        }

        @Override public DictionaryAttr parseOptionalAttrDict() {
            if (!peekIs("{")) return DictionaryAttr.EMPTY;
            // A '{' that opens a region (starts with an op, a block label or '}') is not a dictionary.
            int save = pos;
            pos++;
            String k = peekKeyword();
            if (k == null) { pos = save; return DictionaryAttr.EMPTY; }
            pos = save;
            expect("{");
            Map<String, Attribute> m = new TreeMap<>();
            if (!consumeIf("}")) {
                do {
                    String key = parseKeyword();
                    m.put(key, consumeIf("=") ? parseAttribute() : UnitAttr.INSTANCE);
                } while (consumeIf(","));
                expect("}");
            }
            return DictionaryAttr.of(m);
        }

        @Override public DictionaryAttr parseOptionalAttrDictWithKeyword() {
            return consumeKeywordIf("attributes") ? parseOptionalAttrDict() : DictionaryAttr.EMPTY;
        }

        @Override public Location parseOptionalLocation() { return null; }

        @Override public ParsedArgument parseArgument(boolean requireType, boolean allowAttributes) {
            OperandRef r = parseOperand();
            Type t = null;
            if (requireType) { expect(":"); t = parseType(); }
            DictionaryAttr attrs = allowAttributes ? parseOptionalAttrDict() : DictionaryAttr.EMPTY;
            return new ParsedArgument(r.name(), t, attrs, null);
        }

        @Override public Region parseRegion(List<ParsedArgument> entryArguments) {
            expect("{");
            Block.Builder bb = Block.builder();
            Map<String, Value> scope = new HashMap<>();
            List<ParsedArgument> args = entryArguments;
            if (args.isEmpty() && consumeIf("^bb0")) {
                expect("(");
                args = new ArrayList<>();
                if (!consumeIf(")")) {
                    do args.add(parseArgument(true, false)); while (consumeIf(","));
                    expect(")");
                }
                expect(":");
            }
            for (ParsedArgument a : args) scope.put(a.name(), bb.addArgument(a.type()));
            scopes.push(scope);
            while (!consumeIf("}")) bb.append(parseOperation());
            scopes.pop();
            return Region.of(bb.build());
        }

        @Override public boolean peekRegion() { return peekIs("{"); }

        /** {@code (%a(, %b)* =)? name pretty-syntax}; generic form is not supported here. */
        Operation parseOperation() {
            List<String> resultNames = new ArrayList<>();
            List<Integer> counts = new ArrayList<>();
            if (peekOperand()) {
                do {
                    OperandRef r = parseOperand();
                    resultNames.add(r.name());
                    int n = 1;
                    if (consumeIf(":")) n = (int) parseInteger();
                    counts.add(n);
                } while (consumeIf(","));
                expect("=");
            }
            int named = counts.stream().mapToInt(Integer::intValue).sum();
            resultCount = named;
            String name = parseKeyword();
            OpDef def = OpRegistry.global().lookup(name);
            if (def == null) throw error("unknown op " + name);
            Operation op = def.syntax().parse(this, name).build();
            if (op.numResults() != named) throw error(name + " has " + op.numResults() + " results but " + named + " are named");
            int idx = 0;
            for (int i = 0; i < resultNames.size(); i++) {
                if (counts.get(i) == 1 && resultNames.size() > 1 || counts.get(i) == 1 && op.numResults() == 1) {
                    scopes.get(scopes.size() - 1).put(resultNames.get(i), op.result(idx++));
                } else {
                    for (int k = 0; k < counts.get(i); k++) scopes.get(scopes.size() - 1).put(resultNames.get(i) + "#" + k, op.result(idx++));
                }
            }
            return op;
        }
    }

    // ============================================================================================

    static final class Printer implements AsmPrinter {
        final StringBuilder sb = new StringBuilder();
        final Map<Value, String> names;
        int indent;
        int next;

        Printer(Map<Value, String> names) { this.names = new IdentityHashMap<>(names); }

        String nameOf(Value v) {
            String n = names.get(v);
            if (n != null) return n;
            if (v instanceof OpResult r && r.owner().numResults() > 1 && names.containsKey(r.owner().result(0))) {
                return names.get(r.owner().result(0)) + "#" + r.index();
            }
            throw new IllegalStateException("unnamed value " + v);
        }

        void printOp(Operation op) {
            if (op.numResults() > 0) {
                String base = Integer.toString(next++);
                for (OpResult r : op.results()) names.putIfAbsent(r, op.numResults() == 1 ? base : base + "#" + r.index());
                sb.append('%').append(op.numResults() == 1 ? names.get(op.result(0)) : base + (op.numResults() > 1 ? ":" + op.numResults() : ""));
                sb.append(" = ");
            }
            sb.append(op.name());
            OpDef def = op.def();
            if (def == null || !def.syntax().canPrint(op)) throw new IllegalStateException("no pretty form for " + op.name());
            def.syntax().print(op, this);
        }

        @Override public AsmPrinter print(String text) { sb.append(text); return this; }
        @Override public AsmPrinter printOperand(Value v) { sb.append('%').append(nameOf(v)); return this; }
        @Override public AsmPrinter printOperands(List<? extends Value> vs) {
            for (int i = 0; i < vs.size(); i++) { if (i > 0) sb.append(", "); printOperand(vs.get(i)); }
            return this;
        }
        @Override public AsmPrinter printType(Type t) { sb.append(t); return this; }
        @Override public AsmPrinter printTypes(List<? extends Type> ts) {
            for (int i = 0; i < ts.size(); i++) { if (i > 0) sb.append(", "); sb.append(ts.get(i)); }
            return this;
        }
        @Override public AsmPrinter printFunctionalType(List<? extends Type> in, List<? extends Type> out) {
            sb.append(new FunctionType(List.copyOf(in), List.copyOf(out)));
            return this;
        }
        @Override public AsmPrinter printAttribute(Attribute a) { sb.append(text(a, true)); return this; }
        @Override public AsmPrinter printAttributeWithoutType(Attribute a) { sb.append(text(a, false)); return this; }

        static String text(Attribute a, boolean withType) {
            if (a instanceof DialectAttribute) return a.toString();
            if (a instanceof IntegerAttr i) return i.value() + (withType && !i.type().equals(IntegerType.I64) ? " : " + i.type() : "");
            if (a instanceof FloatAttr f) {
                String e = String.format("%.6e", f.value());
                String t = Double.parseDouble(e) == f.value() ? e : Double.toString(f.value());
                return t + (withType && !f.type().equals(FloatType.F64) ? " : " + f.type() : "");
            }
            if (a instanceof BoolAttr b) return Boolean.toString(b.value());
            if (a instanceof StringAttr s) return "\"" + s.value() + "\"";
            if (a instanceof SymbolRefAttr s) return "@" + s.root();
            if (a instanceof ArrayAttr arr) {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < arr.size(); i++) sb.append(i == 0 ? "" : ", ").append(text(arr.get(i), true));
                return sb.append(']').toString();
            }
            if (a instanceof DenseElementsAttr d) return denseText(d);
            if (a instanceof DenseArrayAttr d) {
                StringBuilder sb = new StringBuilder("array<" + d.elementType());
                for (int i = 0; i < d.size(); i++) sb.append(i == 0 ? ": " : ", ").append(d.getLong(i));
                return sb.append('>').toString();
            }
            if (a instanceof UnitAttr) return "unit";
            return a.toString();
        }

        /** Integers only (flat list or splat); enough for the tests. */
        static String denseText(DenseElementsAttr d) {
            ElementType et = d.type().elementType();
            int eb = et.storageBytes();
            int n = d.rawLength() / eb;
            List<String> vals = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long bits = 0;
                for (int k = 0; k < eb; k++) bits |= (d.rawByte(i * eb + k) & 0xFFL) << (8 * k);
                if (et instanceof FloatType f) vals.add(Double.toString(FloatCodec.decode(f.kind(), bits)));
                else vals.add(Long.toString(eb == 8 ? bits : (bits << (64 - 8 * eb)) >> (64 - 8 * eb)));
            }
            String body = d.isSplat() || n == 1 && d.type().rank() == 0 ? vals.get(0) : String.join(", ", vals);
            if (!d.isSplat() && d.type().rank() > 0) body = "[" + body + "]";
            return "dense<" + body + "> : " + d.type();
        }

        @Override public AsmPrinter printOptionalAttrDict(DictionaryAttr attrs, Set<String> elided) {
            List<String> parts = new ArrayList<>();
            for (var e : attrs.asMap().entrySet()) {
                if (elided.contains(e.getKey())) continue;
                parts.add(e.getValue() instanceof UnitAttr ? e.getKey() : e.getKey() + " = " + text(e.getValue(), true));
            }
            if (!parts.isEmpty()) sb.append(" {").append(String.join(", ", parts)).append('}');
            return this;
        }

        @Override public AsmPrinter printOptionalAttrDictWithKeyword(DictionaryAttr attrs, Set<String> elided) {
            int len = sb.length();
            printOptionalAttrDict(attrs, elided);
            if (sb.length() != len) sb.insert(len, " attributes");
            return this;
        }

        @Override public AsmPrinter printArgument(BlockArgument a, boolean withType) {
            String n = names.computeIfAbsent(a, k -> "arg" + next++);
            sb.append('%').append(n);
            if (withType) sb.append(": ").append(a.type());
            return this;
        }

        @Override public AsmPrinter printRegion(Region r, boolean printEntryBlockArgs) {
            sb.append("{");
            indent++;
            Block b = r.entry();
            if (printEntryBlockArgs && !b.arguments().isEmpty()) {
                newline().print("^bb0(");
                for (int i = 0; i < b.arguments().size(); i++) { if (i > 0) sb.append(", "); printArgument(b.argument(i), true); }
                sb.append("):");
            } else {
                for (BlockArgument a : b.arguments()) names.computeIfAbsent(a, k -> "arg" + next++);
            }
            for (Operation op : b.operations()) { newline(); printOp(op); }
            indent--;
            newline().print("}");
            return this;
        }

        @Override public AsmPrinter printSymbolName(String name) { sb.append('@').append(name); return this; }
        @Override public AsmPrinter printString(String s) { sb.append('"').append(s).append('"'); return this; }
        @Override public AsmPrinter newline() { sb.append('\n').append("  ".repeat(indent)); return this; }
        @Override public boolean printLocations() { return false; }
    }
}
