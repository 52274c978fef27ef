package io.hlo4j.mlir.testing;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One op written on its own ({@code %r = chlo.top_k(%a, k = 2) : ...}), read and written by the real
 * {@link MlirParser} and {@link MlirPrinter}. Operands the text does not define become arguments of an enclosing
 * {@code func.func @snippet}, typed as the parser reports the op's syntax uses them (it names the expected type
 * in its error), a use of one result of a multi-result value ({@code %0#1}) as an argument of its own; printing
 * restores the snippet's own operand and result names. Without a preamble, {@link #op}
 * is a copy standing on its own (no enclosing function or module), so verifiers see the op alone.
 */
public record OpSnippet(Module module, Operation op, List<String> operands, String resultPrefix) {
    private static final Pattern UNDEFINED = Pattern.compile("use of undefined value (%[^\\s#:,)]+)");
    private static final Pattern USED_AS = Pattern.compile("(%[^\\s#:,)]+) has type .* but is used here as (.+)$");
    private static final Pattern RESULTS = Pattern.compile("^\\s*(%[^=]*?)\\s*=\\s");
    private static final Pattern ARG = Pattern.compile("%arg(\\d+)\\b");
    private static final Pattern RESULT_USE = Pattern.compile("%([\\w$.-]+)#(\\d+)");
    /** {@code %v#N} is declared as {@code %__resultN_v} (a valid name even when v is a number). */
    private static final Pattern RESULT_ARG = Pattern.compile("^%__result(\\d+)_(.*)$");
    /** Placeholder type of an operand until the parser says which type the op's syntax wants. */
    private static final String UNKNOWN = "none";

    /** Parses {@code text} (one op) in a module that first holds the {@code preamble} ops (e.g. meshes). */
    public static OpSnippet parse(String text, String... preamble) {
        Map<String, String> args = new LinkedHashMap<>();
        for (int attempt = 0; ; attempt++) {
            try {
                String src = RESULT_USE.matcher(text).replaceAll(u -> Matcher.quoteReplacement("%__result" + u.group(2) + "_" + u.group(1)));
                Module m = MlirParser.parseModule(wrap(preamble, args, src), "<snippet>");
                Operation func = m.operations().getLast();
                Operation op = func.region(0).entry().operations().getFirst();
                if (preamble.length == 0) op = detached(op, new HashMap<>());
                Matcher r = RESULTS.matcher(text);
                return new OpSnippet(m, op, List.copyOf(args.keySet()), r.find() ? r.group(1) : null);
            } catch (ParseException e) {
                if (attempt > 64) throw e;
                Matcher u = UNDEFINED.matcher(e.getMessage());
                Matcher t = USED_AS.matcher(e.getMessage());
                if (u.find() && !args.containsKey(u.group(1))) args.put(u.group(1), UNKNOWN);
                else if (t.find() && args.containsKey(t.group(1)) && !args.get(t.group(1)).equals(t.group(2))) args.put(t.group(1), t.group(2));
                else throw e;
            }
        }
    }

    /** A copy of {@code op} (regions included) that belongs to no block; inner values are remapped. */
    private static Operation detached(Operation op, Map<Value, Value> copies) {
        Operation.Builder b = Operation.builder(op.name()).operands(op.operands().stream().map(v -> copies.getOrDefault(v, v)).toList())
                .resultTypes(op.resultTypes()).properties(op.properties()).attributes(op.attributes()).location(op.location());
        for (Region r : op.regions()) {
            List<Block> blocks = new ArrayList<>();
            for (Block block : r.blocks()) {
                Block.Builder bb = Block.builder();
                if (block.label() != null) bb.label(block.label());
                for (Value a : block.arguments()) copies.put(a, bb.addArgument(a.type()));
                for (Operation inner : block.operations()) {
                    Operation c = bb.append(detached(inner, copies));
                    for (int i = 0; i < inner.numResults(); i++) copies.put(inner.result(i), c.result(i));
                }
                blocks.add(bb.build());
            }
            b.region(new Region(blocks));
        }
        return b.build();
    }

    private static String wrap(String[] preamble, Map<String, String> args, String text) {
        StringBuilder sb = new StringBuilder();
        for (String p : preamble) sb.append(p).append('\n');
        sb.append("func.func @snippet(");
        int i = 0;
        for (var e : args.entrySet()) sb.append(i++ == 0 ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
        return sb.append(") {\n").append(text).append("\n}\n").toString();
    }

    /** The op as the real printer writes it in its function, with the snippet's operand and result names. */
    public String print() {
        String all = MlirPrinter.print(module);
        int head = all.indexOf("func.func @snippet(");
        int from = all.indexOf('\n', head) + 1;
        int to = all.lastIndexOf('}', all.lastIndexOf('}') - 1);
        String body = all.substring(from, to).strip();
        if (resultPrefix != null) {
            Matcher r = RESULTS.matcher(body);
            if (r.find()) body = resultPrefix + " = " + body.substring(r.end());
        }
        return ARG.matcher(body).replaceAll(m -> {
            int n = Integer.parseInt(m.group(1));
            return Matcher.quoteReplacement(n < operands.size() ? RESULT_ARG.matcher(operands.get(n)).replaceAll("%$2#$1") : m.group());
        });
    }

    /** Runs the op's own verifier (not the module verifier). */
    public void verify() { op.def().verifier().verify(op); }
}
