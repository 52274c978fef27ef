package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.OperandRef;
import io.hlo4j.mlir.asm.ParsedArgument;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.LocationAttr;
import io.hlo4j.mlir.attr.OpaqueAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.parse.MlirGrammar.DialectAttrContext;
import io.hlo4j.mlir.parse.MlirGrammar.DialectTypeContext;
import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.OpaqueType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.IntervalSet;
import org.antlr.v4.runtime.misc.ParseCancellationException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The parser driver: the top-level loop, operations (generic and pretty), regions, blocks and SSA scopes in
 * Java, over one token stream shared with the ANTLR grammar ({@link MlirGrammar}) whose rules read types,
 * attributes and locations. Implements {@link AsmParser}, so each op's pretty syntax parses by calling back.
 */
final class OpParser implements AsmParser {
    /** Deepest bracket nesting accepted; bounds every recursion of the parser (ANTLR's and ours). */
    static final int MAX_NESTING = 160;

    final TokenCursor cursor;
    final MlirGrammar grammar;
    final TypeBuilder types = new TypeBuilder(this);
    final AttributeBuilder attributes = new AttributeBuilder(this);
    final DenseLiteral dense = new DenseLiteral(this);

    private final OpRegistry registry = OpRegistry.global();
    private final String file;
    private final CommonTokenStream tokens;
    private ValueScope scope = new ValueScope(null, true);
    /** Per op being parsed: results named on the left, its default dialect, whether its regions are isolated. */
    private final ArrayDeque<Integer> resultCounts = new ArrayDeque<>();
    private final ArrayDeque<String> defaultDialects = new ArrayDeque<>();
    private final ArrayDeque<Boolean> isolation = new ArrayDeque<>();
    // Aliases (#name = attr, !name = type), found by a pre-scan so uses may precede definitions (#loc).
    private final Map<String, Integer> aliasStart = new HashMap<>();
    private final Map<String, Object> aliasValue = new HashMap<>();
    private final Map<String, Integer> aliasEnd = new HashMap<>();
    private final Set<String> aliasResolving = new HashSet<>();

    OpParser(String text, String file, int firstLine) {
        this.file = file;
        MlirLexer lexer = new MlirLexer(CharStreams.fromString(text, file));
        lexer.removeErrorListeners();
        lexer.setSource(text);
        lexer.setLine(firstLine);
        tokens = new CommonTokenStream(lexer);
        cursor = new TokenCursor(tokens, file);
        grammar = new MlirGrammar(tokens);
        grammar.removeErrorListeners();
        grammar.setErrorHandler(new BailErrorStrategy());
        grammar.getInterpreter().setPredictionMode(PredictionMode.SLL);
    }

    // ==== top level ===========================================================================================
    Module parseModule() {
        prescan();
        List<Operation> ops = new ArrayList<>();
        while (cursor.la(1) != Token.EOF) {
            int t = cursor.la(1);
            if ((t == MlirLexer.HASH_ID || t == MlirLexer.BANG_ID) && cursor.la(2) == MlirLexer.EQUAL) {
                Token name = cursor.peek();
                resolveAlias(name.getText());
                Integer end = aliasEnd.get(name.getText());
                if (end == null) throw cursor.errorAtPlain(name, "alias definition " + name.getText() + " is not at the top level");
                cursor.seek(end);
                continue;
            }
            ops.add(parseOperation());
        }
        if (ops.size() == 1 && ops.get(0).name().equals(Module.OP_NAME)) return new Module(ops.get(0));
        return Module.of(null, null, ops, new Location.FileLineCol(file, 1, 1));
    }

    /** Parses exactly one {@code what} (a type, an attribute) spanning the whole text; aliases are not allowed. */
    <T> T parseWhole(java.util.function.Function<AsmParser, T> part, String what) {
        prescan();
        if (!aliasStart.isEmpty()) throw cursor.errorAtPlain(tokens.get(aliasStart.values().iterator().next()), "alias definitions are not allowed here");
        T v = part.apply(this);
        if (cursor.la(1) != Token.EOF) throw cursor.error("unexpected text after the " + what);
        return v;
    }

    /**
     * Checks nesting depth, control characters (the lexer's CONTROL_CHAR: outside comments and strings, where MLIR's
     * lexer takes them) and unsupported sections, and records alias definitions at the top level.
     */
    private void prescan() {
        tokens.fill();
        int depth = 0;
        int n = tokens.size();
        // A chain of function types, () -> () -> ... -> i32, recurses once per arrow with no bracket left open: each
        // arrow that follows a parenthesised group which itself followed an arrow counts one level more than that one.
        java.util.ArrayDeque<Integer> open = new java.util.ArrayDeque<>();
        int lastOpen = -1, lastClose = -1;
        java.util.Map<Integer, Integer> chain = new java.util.HashMap<>(); // arrow token index -> its chain length
        for (int i = 0; i < n; i++) {
            Token t = tokens.get(i);
            switch (t.getType()) {
                case MlirLexer.LPAREN, MlirLexer.LBRACKET, MlirLexer.LBRACE, MlirLexer.LANGLE -> {
                    if (++depth > MAX_NESTING) {
                        throw cursor.errorAtPlain(t, "nesting is deeper than " + MAX_NESTING + " levels of brackets");
                    }
                    open.push(i);
                }
                case MlirLexer.RPAREN, MlirLexer.RBRACKET, MlirLexer.RBRACE, MlirLexer.RANGLE -> {
                    depth = Math.max(0, depth - 1);
                    lastOpen = open.isEmpty() ? -1 : open.pop();
                    lastClose = i;
                }
                case MlirLexer.ARROW -> {
                    int c = 1;
                    if (lastClose == i - 1 && lastOpen > 0 && tokens.get(lastClose).getType() == MlirLexer.RPAREN
                            && tokens.get(lastOpen - 1).getType() == MlirLexer.ARROW) {
                        c = chain.getOrDefault(lastOpen - 1, 1) + 1;
                    }
                    if (depth + c > MAX_NESTING) {
                        throw cursor.errorAtPlain(t, "nesting is deeper than " + MAX_NESTING
                                + " levels of brackets (each -> of a chain of function types counts one)");
                    }
                    if (c > 1 || (i + 1 < n && tokens.get(i + 1).getType() == MlirLexer.LPAREN)) chain.put(i, c);
                }
                case MlirLexer.CONTROL_CHAR -> throw cursor.errorAtPlain(t,
                        String.format("control character \\x%02X in the text (a binary or damaged file?)", (int) t.getText().charAt(0)));
                case MlirLexer.FILE_METADATA_BEGIN -> throw cursor.errorAtPlain(t,
                        "dialect resources ({-# dialect_resources ... #-}) are not supported: dense_resource is not supported, write constants as dense<...>");
                case MlirLexer.KW_DENSE_RESOURCE -> throw cursor.errorAtPlain(t,
                        "dense_resource is not supported: hlo4j reads constants only from dense<...> literals");
                case MlirLexer.BARE_ID, MlirLexer.STRING -> {
                    String s = t.getText();
                    if (s.equals("__elided__") || s.equals("\"__elided__\"")) {
                        throw cursor.errorAtPlain(t, "__elided__ data cannot be parsed: the text was printed with large constants elided");
                    }
                }
                case MlirLexer.HASH_ID, MlirLexer.BANG_ID -> {
                    if (depth == 0 && i + 1 < n && tokens.get(i + 1).getType() == MlirLexer.EQUAL) {
                        if (aliasStart.putIfAbsent(t.getText(), i) != null) {
                            throw cursor.errorAtPlain(t, "redefinition of alias " + t.getText());
                        }
                    }
                }
                default -> { }
            }
        }
    }

    /** The value of alias {@code #name} or {@code !name} (sigil included), or null when none is defined. */
    private Object resolveAlias(String key) {
        Object v = aliasValue.get(key);
        if (v != null) return v;
        Integer start = aliasStart.get(key);
        if (start == null) return null;
        Token def = tokens.get(start);
        if (!aliasResolving.add(key)) throw cursor.errorAtPlain(def, "alias " + key + " is defined in terms of itself");
        int save = cursor.index();
        cursor.seek(start);
        MlirGrammar.AliasDefinitionContext c = rule(grammar::aliasDefinition, "alias definition");
        int end = cursor.index();
        v = c.attribute() != null ? attributes.build(c.attribute(), null) : types.build(c.type_());
        aliasEnd.put(key, end);
        cursor.seek(save);
        aliasResolving.remove(key);
        aliasValue.put(key, v);
        return v;
    }

    Location locationAlias(Token hash) {
        Object v = resolveAlias(hash.getText());
        if (v == null) throw cursor.errorAtPlain(hash, "undefined location alias " + hash.getText());
        if (!(v instanceof LocationAttr l)) throw cursor.errorAtPlain(hash, "alias " + hash.getText() + " is not a location: " + v);
        return l.location();
    }

    // ==== operations ==========================================================================================
    Operation parseOperation() {
        Token start = cursor.peek();
        List<Token> names = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        int total = 0;
        if (start.getType() == MlirLexer.PERCENT_ID) {
            for (MlirGrammar.ResultGroupContext g : rule(grammar::resultList, "result names '%name = '").resultGroup()) {
                Token n = g.PERCENT_ID().getSymbol();
                if (n.getText().indexOf('#') >= 0) throw cursor.errorAtPlain(n, "result name " + n.getText() + " cannot carry a result number");
                int c = g.INTEGER() == null ? 1 : parseCount(g.INTEGER().getSymbol());
                names.add(n);
                counts.add(c);
                total += c;
            }
        }
        Token nameTok = cursor.peek();
        Operation op;
        if (nameTok.getType() == MlirLexer.STRING) op = parseGenericOp(start, total);
        else if (TokenCursor.isIdentLike(nameTok.getType())) op = parseCustomOp(start, total);
        else throw cursor.errorAt(nameTok, "expected operation name");
        if (!names.isEmpty() && op.numResults() != total) {
            throw cursor.errorAtPlain(start, "operation '" + op.name() + "' defines " + op.numResults()
                    + " results but " + total + " were named");
        }
        int at = 0;
        for (int i = 0; i < names.size(); i++) {
            Value[] group = new Value[counts.get(i)];
            for (int k = 0; k < group.length; k++) group[k] = op.result(at++);
            String name = names.get(i).getText().substring(1);
            if (!scope.define(name, group)) throw cursor.errorAtPlain(names.get(i), "redefinition of SSA value " + names.get(i).getText());
        }
        return op;
    }

    private int parseCount(Token t) {
        try {
            int c = Integer.parseInt(t.getText());
            if (c >= 1 && c <= 1 << 20) return c;
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw cursor.errorAtPlain(t, "result count " + t.getText() + " is not between 1 and " + (1 << 20));
    }

    private Operation parseGenericOp(Token start, int named) {
        Token nameTok = cursor.next();
        String name = attributes.string(nameTok);
        if (name.isEmpty()) throw cursor.errorAtPlain(nameTok, "empty operation name");
        OpDef def = registry.lookup(name);
        List<OperandRef> refs = new ArrayList<>();
        for (var t : rule(grammar::genericOperands, "operand list (%a, ...)").PERCENT_ID()) refs.add(operandRef(t.getSymbol()));
        if (cursor.la(1) == MlirLexer.LBRACKET) throw cursor.error("successor blocks are not supported ('" + name + "')");
        DictionaryAttr props = DictionaryAttr.EMPTY;
        if (cursor.la(1) == MlirLexer.LANGLE) {
            MlirGrammar.PropertiesContext pc = rule(grammar::properties, "properties <{...}>");
            int end = cursor.index();
            props = attributes.dictionary(pc.dictionaryAttr());
            cursor.seek(end);
        }
        List<Region> regions = new ArrayList<>();
        if (cursor.la(1) == MlirLexer.LPAREN) {
            cursor.next();
            enterOp(def, name, named);
            do regions.add(parseRegion(List.of())); while (consumeIf(","));
            exitOp();
            expect(")");
        }
        DictionaryAttr attrs = parseOptionalAttrDict();
        expect(":");
        Token typeTok = cursor.peek();
        FunctionType ft = parseFunctionType();
        if (ft.inputs().size() != refs.size()) {
            throw cursor.errorAtPlain(typeTok, "'" + name + "' has " + refs.size() + " operands but its type lists "
                    + ft.inputs().size());
        }
        Operation.Builder b = Operation.builder(name).operands(resolve(refs, ft.inputs())).resultTypes(ft.results())
                .regions(regions).properties(props);
        for (Map.Entry<String, Attribute> e : attrs.asMap().entrySet()) {
            if (def != null && def.isInherent(e.getKey()) && !props.contains(e.getKey())) b.property(e.getKey(), e.getValue());
            else b.attribute(e.getKey(), e.getValue());
        }
        Location loc = parseOptionalLocation();
        b.location(placed(loc, start));
        return build(b, nameTok);
    }

    private Operation parseCustomOp(Token start, int named) {
        Token nameTok = cursor.next();
        String written = nameTok.getText();
        OpDef def = lookupCustom(written);
        if (def == null) {
            throw cursor.errorAtPlain(nameTok, "custom op '" + written + "' is unknown (not registered; unregistered ops must be written in generic form \"" + written + "\"(...))");
        }
        enterOp(def, def.name(), named);
        Operation.Builder b;
        try {
            b = def.syntax().parse(this, def.name());
        } catch (ParseException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ParseException("'" + def.name() + "' could not be parsed: " + e, file, nameTok.getLine(),
                    nameTok.getCharPositionInLine() + 1);
        }
        exitOp();
        if (b == null) throw cursor.errorAtPlain(nameTok, "the syntax of '" + def.name() + "' returned no operation");
        Location loc = parseOptionalLocation();
        // A syntax that read the trailing loc(...) itself (to locate ops it builds in a region) has set it already.
        // Under loc(unknown) the op keeps where it was parsed, for diagnostics (Location.Unknown#parsedAt).
        if (loc != null) b.location(placed(loc, start));
        else if (!b.location().isPlaced()) b.location(cursor.locationOf(start));
        return build(b, nameTok);
    }

    /** The op a pretty name denotes: its full name, else the default dialect's op, else builtin's. */
    private OpDef lookupCustom(String written) {
        OpDef d = registry.lookup(written);
        if (d != null || written.indexOf('.') >= 0) return d;
        String dd = defaultDialects.peek();
        if (dd != null && !dd.isEmpty()) {
            d = registry.lookup(dd + "." + written);
            if (d != null) return d;
        }
        return registry.lookup("builtin." + written);
    }

    private void enterOp(OpDef def, String name, int named) {
        resultCounts.push(named);
        String dd = name.equals("func.func") ? "func" : defaultDialects.isEmpty() ? "" : defaultDialects.peek();
        defaultDialects.push(dd);
        isolation.push(def != null && def.has(OpTrait.ISOLATED_FROM_ABOVE));
    }

    private void exitOp() {
        resultCounts.pop();
        defaultDialects.pop();
        isolation.pop();
    }

    private Operation build(Operation.Builder b, Token at) {
        try {
            return b.build();
        } catch (RuntimeException e) {
            throw cursor.errorAtPlain(at, "invalid '" + b.name() + "': " + e.getMessage());
        }
    }

    // ==== regions and blocks ==================================================================================
    @Override public Region parseRegion(List<ParsedArgument> entryArguments) {
        Token open = cursor.peek();
        expect("{");
        ValueScope saved = scope;
        scope = new ValueScope(saved, !isolation.isEmpty() && isolation.peek());
        List<Block> blocks = new ArrayList<>();
        Block.Builder bb = null;
        if (!entryArguments.isEmpty()) {
            bb = Block.builder();
            for (ParsedArgument a : entryArguments) {
                if (a.type() == null) throw cursor.errorAtPlain(open, "region argument %" + a.name() + " has no type");
                BlockArgument ba = bb.addArgument(a.type(), a.location());
                if (!scope.define(a.name(), new Value[] {ba})) throw cursor.errorAtPlain(open, "redefinition of SSA value %" + a.name());
            }
        }
        while (true) {
            int t = cursor.la(1);
            if (t == MlirLexer.RBRACE) break;
            if (t == Token.EOF) {
                throw cursor.error("expected '}' to close the region opened at " + open.getLine() + ":" + (open.getCharPositionInLine() + 1));
            }
            if (t == MlirLexer.CARET_ID) {
                if (!entryArguments.isEmpty() && blocks.isEmpty() && bb != null && bb.operations().isEmpty()) {
                    throw cursor.error("a block header is not allowed where the op already declared the entry block's arguments");
                }
                if (bb != null) blocks.add(bb.build());
                bb = parseBlockHeader();
                continue;
            }
            if (bb == null) bb = Block.builder();
            bb.append(parseOperation());
        }
        cursor.next();
        if (bb != null) blocks.add(bb.build());
        scope = saved;
        return new Region(blocks);
    }

    private Block.Builder parseBlockHeader() {
        MlirGrammar.BlockHeaderContext h = rule(grammar::blockHeader, "block header '^bb(%arg: type, ...):'");
        int end = cursor.index();
        Block.Builder bb = Block.builder().label(h.CARET_ID().getText().substring(1));
        for (MlirGrammar.BlockArgumentContext a : h.blockArgument()) {
            Token name = a.PERCENT_ID().getSymbol();
            if (name.getText().indexOf('#') >= 0) throw cursor.errorAtPlain(name, "argument name " + name.getText() + " cannot carry a result number");
            Type type = types.build(a.type_());
            Location loc = placed(a.location() == null ? null : attributes.location(a.location().locationBody()), name);
            BlockArgument ba = bb.addArgument(type, loc);
            if (!scope.define(name.getText().substring(1), new Value[] {ba})) {
                throw cursor.errorAtPlain(name, "redefinition of SSA value " + name.getText());
            }
        }
        cursor.seek(end);
        return bb;
    }

    @Override public boolean peekRegion() { return cursor.la(1) == MlirLexer.LBRACE; }

    @Override public ParsedArgument parseArgument(boolean requireType, boolean allowAttributes) {
        Token t = cursor.peek();
        if (t.getType() != MlirLexer.PERCENT_ID) throw cursor.error("expected SSA argument name");
        if (t.getText().indexOf('#') >= 0) throw cursor.errorAtPlain(t, "argument name " + t.getText() + " cannot carry a result number");
        cursor.next();
        Type type = null;
        if (requireType) {
            expect(":");
            type = parseType();
        } else if (consumeIf(":")) {
            type = parseType();
        }
        DictionaryAttr attrs = allowAttributes ? parseOptionalAttrDict() : DictionaryAttr.EMPTY;
        Location loc = parseOptionalLocation();
        return new ParsedArgument(t.getText().substring(1), type, attrs, placed(loc, t));
    }

    // ==== SSA values ==========================================================================================
    @Override public OperandRef parseOperand() {
        Token t = cursor.peek();
        if (t.getType() != MlirLexer.PERCENT_ID) throw cursor.error("expected SSA operand");
        cursor.next();
        return operandRef(t);
    }

    private OperandRef operandRef(Token t) {
        String s = t.getText();
        int hash = s.indexOf('#');
        int number = -1;
        String name = s.substring(1);
        if (hash >= 0) {
            name = s.substring(1, hash);
            try {
                number = Integer.parseInt(s.substring(hash + 1));
            } catch (NumberFormatException e) {
                throw cursor.errorAtPlain(t, "result number in " + s + " is too large");
            }
        }
        return new OperandRef(name, number, t.getLine(), t.getCharPositionInLine() + 1);
    }

    @Override public boolean peekOperand() { return cursor.la(1) == MlirLexer.PERCENT_ID; }

    @Override public List<OperandRef> parseOperandList() {
        List<OperandRef> out = new ArrayList<>();
        if (!peekOperand()) return out;
        out.add(parseOperand());
        while (cursor.la(1) == MlirLexer.COMMA && cursor.la(2) == MlirLexer.PERCENT_ID) {
            cursor.next();
            out.add(parseOperand());
        }
        return out;
    }

    private Value lookup(OperandRef ref) {
        Value[] group = scope.lookup(ref.name());
        if (group == null) throw new ParseException("use of undefined value " + ref.text(), file, ref.line(), ref.column());
        int i = Math.max(0, ref.resultNumber());
        if (i >= group.length) {
            throw new ParseException("result number " + ref.resultNumber() + " of %" + ref.name() + " is out of range: it has "
                    + group.length + " result(s)", file, ref.line(), ref.column());
        }
        return group[i];
    }

    @Override public Value resolve(OperandRef ref, Type type) {
        Value v = lookup(ref);
        if (type != null && !v.type().equals(type)) {
            throw new ParseException(ref.text() + " has type " + v.type() + " but is used here as " + type, file, ref.line(), ref.column());
        }
        return v;
    }

    @Override public List<Value> resolve(List<OperandRef> refs, List<Type> types) {
        if (refs.size() != types.size()) {
            throw cursor.errorAtPlain(cursor.peek(), refs.size() + " operands but " + types.size() + " types were given");
        }
        List<Value> out = new ArrayList<>(refs.size());
        for (int i = 0; i < refs.size(); i++) out.add(resolve(refs.get(i), types.get(i)));
        return out;
    }

    @Override public Type typeOf(OperandRef ref) { return lookup(ref).type(); }

    @Override public int resultCount() { return resultCounts.isEmpty() ? 0 : resultCounts.peek(); }

    // ==== grammar rules =======================================================================================
    /** Runs one grammar rule at the cursor; a syntax error becomes a ParseException naming the token. */
    private <T extends ParserRuleContext> T rule(Supplier<T> r, String what) {
        int start = cursor.index();
        try {
            return r.get();
        } catch (ParseCancellationException sll) {
            // SLL prediction can reject valid input in rare cases: retry with full LL before reporting.
            grammar.setContext(null);
            cursor.seek(start);
            grammar.getInterpreter().setPredictionMode(PredictionMode.LL);
            try {
                return r.get();
            } catch (ParseCancellationException e) {
                grammar.setContext(null);
                throw syntaxError(e, what);
            } finally {
                grammar.getInterpreter().setPredictionMode(PredictionMode.SLL);
            }
        }
    }

    private ParseException syntaxError(ParseCancellationException e, String what) {
        Token off = null;
        String expected = "";
        if (e.getCause() instanceof RecognitionException re) {
            off = re.getOffendingToken();
            if (re instanceof InputMismatchException) {
                IntervalSet set = re.getExpectedTokens();
                if (set != null && set.size() <= 4) expected = " (expected " + set.toString(MlirLexer.VOCABULARY) + ")";
            }
        }
        if (off == null) off = cursor.peek();
        return cursor.errorAt(off, "expected " + what + expected);
    }

    @Override public Type parseType() {
        MlirGrammar.Type_Context c = rule(grammar::type_, "type");
        int end = cursor.index();
        Type t = types.build(c);
        cursor.seek(end);
        return t;
    }

    @Override public List<Type> parseTypeList() {
        List<Type> out = new ArrayList<>();
        out.add(parseType());
        while (consumeIf(",")) out.add(parseType());
        return out;
    }

    @Override public FunctionType parseFunctionType() {
        if (cursor.la(1) != MlirLexer.LPAREN) throw cursor.error("expected function type '(...) -> ...'");
        MlirGrammar.FunctionTypeContext c = rule(grammar::functionType, "function type");
        int end = cursor.index();
        FunctionType t = types.function(c);
        cursor.seek(end);
        return t;
    }

    @Override public Attribute parseAttribute() {
        MlirGrammar.AttributeContext c = rule(grammar::attribute, "attribute");
        int end = cursor.index();
        Attribute a = attributes.build(c, null);
        cursor.seek(end);
        return a;
    }

    @Override public Attribute parseAttribute(Type type) {
        if (type == null) return parseAttribute();
        MlirGrammar.UntypedAttributeContext c = rule(grammar::untypedAttribute, "attribute");
        int end = cursor.index();
        Attribute a = attributes.untyped(c, type);
        cursor.seek(end);
        return a;
    }

    @Override public DictionaryAttr parseOptionalAttrDict() {
        if (cursor.la(1) != MlirLexer.LBRACE) return DictionaryAttr.EMPTY;
        MlirGrammar.DictionaryAttrContext c = rule(grammar::dictionaryAttr, "attribute dictionary");
        int end = cursor.index();
        DictionaryAttr d = attributes.dictionary(c);
        cursor.seek(end);
        return d;
    }

    @Override public DictionaryAttr parseOptionalAttrDictWithKeyword() {
        if (!consumeKeywordIf("attributes")) return DictionaryAttr.EMPTY;
        if (cursor.la(1) != MlirLexer.LBRACE) throw cursor.error("expected '{' after 'attributes'");
        return parseOptionalAttrDict();
    }

    @Override public Location parseOptionalLocation() {
        if (cursor.la(1) != MlirLexer.KW_LOC) return null;
        MlirGrammar.LocationContext c = rule(grammar::location, "location");
        int end = cursor.index();
        Location l = attributes.location(c.locationBody());
        cursor.seek(end);
        return l;
    }

    /** A dialect attribute through its registered parser, an alias, or an opaque attribute. */
    Attribute dialectAttribute(DialectAttrContext c) {
        Token h = c.HASH_ID().getSymbol();
        String name = h.getText().substring(1);
        if (c.balancedAngle() == null) {
            Object v = resolveAlias(h.getText());
            if (v instanceof Attribute a) return a;
        }
        AttributeRegistry.AttributeParser ap = registry.attributes().attribute(name);
        if (ap != null) return runDialectParser(() -> ap.parse(this), h, c);
        if (c.balancedAngle() == null) throw cursor.errorAtPlain(h, "undefined attribute alias " + h.getText());
        return new OpaqueAttr(sourceText(c));
    }

    /** A dialect type through its registered parser, an alias, or an opaque type. */
    Type dialectType(DialectTypeContext c) {
        Token h = c.BANG_ID().getSymbol();
        String name = h.getText().substring(1);
        if (c.balancedAngle() == null) {
            Object v = resolveAlias(h.getText());
            if (v instanceof Type t) return t;
        }
        AttributeRegistry.TypeParser tp = registry.attributes().type(name);
        if (tp != null) return runDialectParser(() -> tp.parse(this), h, c);
        if (c.balancedAngle() == null) {
            if (name.equals("stablehlo.token")) return TokenType.INSTANCE;
            if (name.indexOf('.') < 0) throw cursor.errorAtPlain(h, "undefined type alias " + h.getText());
        }
        return new OpaqueType(sourceText(c));
    }

    /** Runs a dialect's parser over the tokens after the '#name' / '!name' token; it must read exactly its body. */
    private <T> T runDialectParser(Supplier<T> parse, Token head, ParserRuleContext whole) {
        int save = cursor.index();
        cursor.seek(head.getTokenIndex() + 1);
        T v;
        try {
            v = parse.get();
        } catch (ParseException e) {
            throw e;
        } catch (RuntimeException e) {
            throw cursor.errorAtPlain(head, "invalid " + head.getText() + ": " + e);
        }
        int end = whole.getStop().getTokenIndex() + 1;
        if (cursor.index() != end) {
            throw cursor.errorAt(cursor.peek(), "unexpected token in " + head.getText() + " (its parser stopped here)");
        }
        if (v == null) throw cursor.errorAtPlain(head, "the parser of " + head.getText() + " returned nothing");
        cursor.seek(save);
        return v;
    }

    /** The tokens of {@code c} with single blanks where the source had white space (comments dropped). */
    String sourceText(ParserRuleContext c) {
        StringBuilder sb = new StringBuilder();
        Token prev = null;
        for (int i = c.getStart().getTokenIndex(); i <= c.getStop().getTokenIndex(); i++) {
            Token t = tokens.get(i);
            if (prev != null && t.getStartIndex() > prev.getStopIndex() + 1) sb.append(' ');
            sb.append(t.getText());
            prev = t;
        }
        return sb.toString();
    }

    // ==== punctuation, keywords, literals ====================================================================
    @Override public ParseException error(String message) { return cursor.error(message); }

    @Override public Location currentLocation() { return cursor.locationOf(cursor.peek()); }

    /**
     * The location of what was parsed at {@code at}: {@code written} (its {@code loc(...)}), or {@code at}'s place when
     * none was written; a written one without a file ({@code loc(unknown)}, {@code loc("x")}) keeps {@code at} as where
     * it was parsed (Location#orParsedAt, for diagnostics). A written location with a file costs no allocation.
     */
    private Location placed(Location written, Token at) {
        if (written == null) return cursor.locationOf(at);
        return written.hasFile() ? written : written.orParsedAt(cursor.locationOf(at));
    }

    private boolean matches(String p) {
        int t = TokenCursor.punctuation(p);
        if (t >= 0) return cursor.la(1) == t;
        return TokenCursor.isIdentLike(cursor.la(1)) && cursor.peek().getText().equals(p);
    }

    @Override public void expect(String p) {
        if (!matches(p)) throw cursor.error("expected '" + p + "'");
        cursor.next();
    }

    @Override public boolean consumeIf(String p) {
        if (!matches(p)) return false;
        cursor.next();
        return true;
    }

    @Override public boolean peekIs(String p) { return matches(p); }

    @Override public void expectKeyword(String kw) {
        if (!consumeKeywordIf(kw)) throw cursor.error("expected '" + kw + "'");
    }

    @Override public boolean consumeKeywordIf(String kw) {
        if (TokenCursor.isIdentLike(cursor.la(1)) && cursor.peek().getText().equals(kw)) {
            cursor.next();
            return true;
        }
        return false;
    }

    @Override public String parseKeyword() {
        if (!TokenCursor.isIdentLike(cursor.la(1))) throw cursor.error("expected keyword");
        return cursor.next().getText();
    }

    @Override public String peekKeyword() {
        return TokenCursor.isIdentLike(cursor.la(1)) ? cursor.peek().getText() : null;
    }

    private boolean isIntToken(int t) { return t == MlirLexer.INTEGER || t == MlirLexer.HEX; }

    @Override public boolean peekInteger() {
        return isIntToken(cursor.la(1)) || (cursor.la(1) == MlirLexer.MINUS && isIntToken(cursor.la(2)));
    }

    @Override public long parseInteger() {
        if (!peekInteger()) throw cursor.error("expected integer");
        boolean neg = cursor.la(1) == MlirLexer.MINUS;
        if (neg) cursor.next();
        Token t = cursor.next();
        long m;
        try {
            m = Literals.magnitude(t.getText());
        } catch (Literals.BadLiteral e) {
            throw cursor.errorAtPlain(t, e.getMessage());
        }
        if (t.getType() == MlirLexer.HEX) return neg ? -m : m;
        if (m < 0 && !(neg && m == Long.MIN_VALUE)) throw cursor.errorAtPlain(t, "integer " + t.getText() + " does not fit in 64 bits");
        return neg ? -m : m;
    }

    @Override public double parseFloat() {
        boolean neg = cursor.la(1) == MlirLexer.MINUS;
        int t = cursor.la(neg ? 2 : 1);
        if (t != MlirLexer.FLOAT && t != MlirLexer.INTEGER && t != MlirLexer.HEX) throw cursor.error("expected float");
        if (neg) cursor.next();
        Token tok = cursor.next();
        if (t == MlirLexer.HEX) return Double.longBitsToDouble(attributes.floatBits(tok, neg, io.hlo4j.mlir.types.FloatKind.F64));
        double v = Double.parseDouble(tok.getText());
        return neg ? -v : v;
    }

    @Override public String parseString() {
        if (cursor.la(1) != MlirLexer.STRING) throw cursor.error("expected string literal");
        return attributes.string(cursor.next());
    }

    @Override public String parseSymbolName() {
        if (cursor.la(1) != MlirLexer.AT_ID) throw cursor.error("expected symbol name '@name'");
        return attributes.symbol(cursor.next());
    }

    @Override public boolean peekSymbolName() { return cursor.la(1) == MlirLexer.AT_ID; }
}
