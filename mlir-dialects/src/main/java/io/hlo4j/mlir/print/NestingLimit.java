package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.parse.MlirParser;

import java.util.ArrayDeque;
import java.util.function.ObjIntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The printer's side of the parser's nesting limit: anything printed must parse back. The printed form can nest deeper
 * than the text it was parsed from (the generic form writes {@code ({} per region where the pretty one writes
 * {@code {}; the implicit module adds a level), and IR built in Java has no bound at all, so the printer counts the
 * brackets of what it wrote exactly as the parser's pre-scan does and refuses, by name, more than the parser reads.
 * Before printing, IR whose regions alone nest deeper than that is refused without recursing into it.
 */
final class NestingLimit {
    private NestingLimit() {}

    private static final Pattern OP_NAME = Pattern.compile("\"?([A-Za-z_][\\w$]*\\.[\\w$.]+)\"?");

    /** Refuses, before printing, an op nested in more regions than the parser reads levels of brackets. */
    static void checkRegions(Operation root) {
        walk(root, (op, d) -> {
            if (d > MlirParser.MAX_NESTING) {
                throw new PrintLimitException("cannot print " + op.name() + ": it is nested in " + d
                        + " regions, more than the " + MlirParser.MAX_NESTING + " levels of brackets the parser reads back", op.location());
            }
        });
    }

    /**
     * Refuses {@code text} (printed from {@code root}) when its brackets nest deeper than the parser reads, naming the
     * op on the printed line where the limit is passed (and the location of the deepest op of that name).
     */
    static void checkText(String text, Operation root, PrintOptions o) {
        int at = firstTooDeep(text);
        if (at < 0) return;
        int lineStart = text.lastIndexOf('\n', at) + 1, lineEnd = text.indexOf('\n', at);
        String line = text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd).strip();
        int lineNo = 1;
        for (int i = 0; i < lineStart; i++) if (text.charAt(i) == '\n') lineNo++;
        Matcher m = OP_NAME.matcher(line);
        String name = m.find() ? m.group(1) : null;
        Operation op = name == null ? null : deepest(root, name);
        Location loc = op == null ? root.location() : op.location();
        // the op's location leads the message (the exception's location), so it is not repeated here
        String what = op == null ? "line " + lineNo + " of its " + form(o) + " form" : op.name() + " (line " + lineNo + " of its " + form(o) + " form)";
        throw new PrintLimitException("cannot print " + what + ": it nests deeper than the " + MlirParser.MAX_NESTING
                + " levels of brackets the parser reads back" + (o.generic() ? " (the generic form writes two levels per region)" : ""), loc);
    }

    private static String form(PrintOptions o) { return o.generic() ? "generic" : "pretty"; }

    /**
     * The index of the first bracket past the parser's limit, or -1: brackets {@code ( [ { <} count up and
     * {@code ) ] } >} down (never below zero), except inside string literals and the {@code >} of {@code ->}, as the
     * lexer makes its tokens.
     */
    static int firstTooDeep(CharSequence s) {
        int depth = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> { // a string literal: skip to its closing quote, over escapes
                    for (i++; i < n && s.charAt(i) != '"'; i++) if (s.charAt(i) == '\\') i++;
                }
                case '(', '[', '{', '<' -> {
                    if (++depth > MlirParser.MAX_NESTING) return i;
                }
                case '>' -> {
                    if (i == 0 || s.charAt(i - 1) != '-') depth = Math.max(0, depth - 1);
                }
                case ')', ']', '}' -> depth = Math.max(0, depth - 1);
                default -> { }
            }
        }
        return -1;
    }

    /** The op named {@code name} nested in the most regions (the first such in print order), or null. */
    private static Operation deepest(Operation root, String name) {
        Operation[] best = {null};
        int[] bestDepth = {-1};
        walk(root, (op, d) -> {
            if (op.name().equals(name) && d > bestDepth[0]) {
                best[0] = op;
                bestDepth[0] = d;
            }
        });
        return best[0];
    }

    /**
     * Visits every op under {@code root} with the number of regions it is nested in, without recursion (the programs
     * refused here are the ones deep enough to overflow a recursive walk's stack).
     */
    private static void walk(Operation root, ObjIntConsumer<Operation> visit) {
        ArrayDeque<Operation> ops = new ArrayDeque<>();
        ArrayDeque<Integer> depths = new ArrayDeque<>();
        ops.push(root);
        depths.push(0);
        while (!ops.isEmpty()) {
            Operation op = ops.pop();
            int d = depths.pop();
            visit.accept(op, d);
            for (Region r : op.regions()) {
                for (Block b : r.blocks()) {
                    for (int i = b.operations().size() - 1; i >= 0; i--) { // reversed onto the stack: popped in print order
                        ops.push(b.operations().get(i));
                        depths.push(d + 1);
                    }
                }
            }
        }
    }
}
