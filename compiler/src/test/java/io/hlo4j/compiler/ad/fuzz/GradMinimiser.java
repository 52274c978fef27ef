package io.hlo4j.compiler.ad.fuzz;

import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Program;
import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Stmt;
import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Val;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shrinks a failing program greedily while it still fails: drops a result, or removes a statement and reads an earlier
 * value of its type (one it read first, else any) where its value was read, then drops the statements and arguments
 * nothing reads any more. Cheap (each try is one check of a small program), not minimal.
 */
final class GradMinimiser {
    private GradMinimiser() {}

    static Program minimise(Program p, Predicate<Program> fails) {
        return io.hlo4j.mlir.testing.GreedyShrink.shrink(p, GradMinimiser::candidates, fails);
    }

    private static Pattern use(String name) { return Pattern.compile(Pattern.quote(name) + "(?![\\w#])"); }

    private static List<Program> candidates(Program p) {
        List<Program> out = new ArrayList<>();
        for (int i = 0; p.results().size() > 1 && i < p.results().size(); i++) {
            List<Val> rs = new ArrayList<>(p.results());
            rs.remove(i);
            out.add(dce(new Program(p.args(), p.body(), rs)));
        }
        for (int k = p.body().size() - 1; k >= 0; k--) {
            for (Val r : replacements(p, k)) out.add(dce(bypass(p, k, r)));
        }
        return out;
    }

    /** Earlier values of statement k's type: those it reads first, then the others, at most three. */
    private static List<Val> replacements(Program p, int k) {
        Val v = p.body().get(k).result();
        List<Val> earlier = new ArrayList<>(p.args());
        for (int i = 0; i < k; i++) earlier.add(p.body().get(i).result());
        earlier.removeIf(e -> !Arrays.equals(e.shape(), v.shape()) || !e.et().equals(v.et()));
        String text = String.join("\n", p.body().get(k).lines());
        Set<Val> ordered = new LinkedHashSet<>();
        for (Val e : earlier) if (use(e.name()).matcher(text).find()) ordered.add(e);
        ordered.addAll(earlier);
        return ordered.stream().limit(3).toList();
    }

    private static Program bypass(Program p, int k, Val r) {
        Pattern use = use(p.body().get(k).result().name());
        String with = Matcher.quoteReplacement(r.name());
        List<Stmt> body = new ArrayList<>();
        for (int i = 0; i < p.body().size(); i++) {
            Stmt s = p.body().get(i);
            if (i == k) continue;
            if (i < k) { body.add(s); continue; }
            body.add(new Stmt(s.lines().stream().map(l -> use.matcher(l).replaceAll(with)).toList(), s.result(), s.function()));
        }
        List<Val> results = p.results().stream().map(v -> v.name().equals(p.body().get(k).result().name()) ? r : v).toList();
        return new Program(p.args(), body, results);
    }

    /** Removes statements whose values nothing reads, then arguments nothing reads. */
    private static Program dce(Program p) {
        List<Stmt> body = new ArrayList<>(p.body());
        List<String> readers = new ArrayList<>(p.results().stream().map(Val::name).toList());
        for (int i = body.size() - 1; i >= 0; i--) {
            Pattern use = use(body.get(i).result().name());
            if (readers.stream().noneMatch(l -> use.matcher(l).find())) body.remove(i);
            else readers.addAll(body.get(i).lines());
        }
        List<Val> args = p.args().stream().filter(a -> readers.stream().anyMatch(l -> use(a.name()).matcher(l).find())).toList();
        return new Program(args, body, p.results());
    }
}
