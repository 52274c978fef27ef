package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Program;
import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Val;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shrinks a failing program greedily while it still fails: drops a result, bypasses an op whose result has the type
 * of one of its operands (a sharding_constraint always), drops an op nothing uses, drops a declared sharding; each
 * bypass is tried with and without removing what nothing uses any more (dead ops still steer propagation). Cheap
 * (each try is one check of a small program), not minimal.
 */
final class Minimiser {
    private Minimiser() {}

    private static final Pattern NAME = Pattern.compile("%(arg|v)\\d+\\b");

    static Program minimise(Program p, Predicate<Program> fails) {
        return io.hlo4j.mlir.testing.GreedyShrink.shrink(p, Minimiser::candidates, fails);
    }

    private static List<Program> candidates(Program p) {
        List<Program> out = new ArrayList<>();
        for (int i = 0; p.results().size() > 1 && i < p.results().size(); i++) {
            List<Val> rs = new ArrayList<>(p.results());
            List<String> ss = new ArrayList<>(p.resultShardings());
            rs.remove(i);
            ss.remove(i);
            out.add(dce(with(p, p.body(), rs, ss, p.argShardings())));
        }
        for (int k = p.body().size() - 1; k >= 0; k--) {
            Program b = bypass(p, k);
            if (b != null) out.add(dce(b));
        }
        // dead ops can matter (propagation goes through them): dropped one at a time, the rest kept
        for (int k = p.body().size() - 1; k >= 0; k--) {
            Program b = bypass(p, k);
            if (b != null) out.add(b);
            else if (unused(p, k)) {
                List<String> body = new ArrayList<>(p.body());
                body.remove(k);
                out.add(with(p, body, p.results(), p.resultShardings(), p.argShardings()));
            }
        }
        for (int i = 0; i < p.resultShardings().size(); i++) {
            if (p.resultShardings().get(i) == null) continue;
            List<String> ss = new ArrayList<>(p.resultShardings());
            ss.set(i, null);
            out.add(with(p, p.body(), p.results(), ss, p.argShardings()));
        }
        for (int i = 0; i < p.argShardings().size(); i++) {
            if (p.argShardings().get(i) == null) continue;
            List<String> ss = new ArrayList<>(p.argShardings());
            ss.set(i, null);
            out.add(with(p, p.body(), p.results(), p.resultShardings(), ss));
        }
        return out;
    }

    private static Program with(Program p, List<String> body, List<Val> results, List<String> resultShardings, List<String> argShardings) {
        return new Program(p.head(), p.args(), argShardings, body, results, resultShardings, p.exact(), p.funcs());
    }

    private static boolean unused(Program p, int k) {
        String name = defined(p.body().get(k));
        Pattern use = Pattern.compile(Pattern.quote(name) + "\\b");
        for (int i = k + 1; i < p.body().size(); i++) if (use.matcher(p.body().get(i).substring(defined(p.body().get(i)).length())).find()) return false;
        return p.results().stream().noneMatch(r -> root(r.name()).equals(name));
    }

    /** The name an op line defines, without a result count ({@code %v3:2} defines {@code %v3}, used as {@code %v3#1}). */
    private static String defined(String line) {
        String d = line.substring(0, line.indexOf(' '));
        int colon = d.indexOf(':');
        return colon < 0 ? d : d.substring(0, colon);
    }

    private static String root(String name) {
        int hash = name.indexOf('#');
        return hash < 0 ? name : name.substring(0, hash);
    }

    /** Op k removed, its uses replaced by an operand of the same type; null when it has none. */
    private static Program bypass(Program p, int k) {
        String line = p.body().get(k), name = defined(line), replacement = null;
        if (!line.startsWith(name + " ")) return null; // an op of several results (%v3:2 = ...) is never bypassed
        if (line.contains("sdy.sharding_constraint ")) {
            replacement = line.split(" ")[3];
        } else {
            int arrow = line.lastIndexOf(") -> "), colon = line.lastIndexOf(" : (", arrow), open = line.indexOf("\"("), nl = line.indexOf('\n');
            // the operands are those of the op's own first line (not of an op inside its region)
            if (arrow < 0 || colon < 0 || open < 0 || (nl >= 0 && open > nl)) return null;
            String result = line.substring(arrow + 5);
            String[] types = line.substring(colon + 4, arrow).split(", ");
            String[] operands = line.substring(open + 2, line.indexOf(')', open)).split(", ");
            for (int i = 0; i < operands.length && i < types.length; i++) if (types[i].equals(result)) replacement = operands[i];
        }
        if (replacement == null || replacement.isEmpty()) return null;
        Pattern use = Pattern.compile(Pattern.quote(name) + "\\b");
        List<String> body = new ArrayList<>();
        for (int i = 0; i < p.body().size(); i++) {
            if (i == k) continue;
            String l = p.body().get(i);
            body.add(i < k ? l : defined(l) + use.matcher(l.substring(defined(l).length())).replaceAll(Matcher.quoteReplacement(replacement)));
        }
        List<Val> results = new ArrayList<>();
        for (Val r : p.results()) results.add(r.name().equals(name) ? new Val(replacement, r.shape(), r.et()) : r);
        return with(p, body, results, p.resultShardings(), p.argShardings());
    }

    /** Removes ops whose results nothing uses, then arguments nothing uses. */
    private static Program dce(Program p) {
        List<String> body = new ArrayList<>(p.body());
        Set<String> used = new HashSet<>();
        for (Val r : p.results()) used.add(root(r.name()));
        for (int i = body.size() - 1; i >= 0; i--) {
            String l = body.get(i), name = defined(l);
            if (!used.contains(name)) {
                body.remove(i);
                continue;
            }
            Matcher m = NAME.matcher(l.substring(name.length()));
            while (m.find()) used.add(m.group());
        }
        List<Val> args = new ArrayList<>();
        List<String> shardings = new ArrayList<>();
        for (int i = 0; i < p.args().size(); i++) {
            if (!used.contains(p.args().get(i).name())) continue;
            args.add(p.args().get(i));
            shardings.add(p.argShardings().get(i));
        }
        return new Program(p.head(), args, shardings, body, p.results(), p.resultShardings(), p.exact(), p.funcs());
    }
}
