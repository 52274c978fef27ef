package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of {@link SpmdDifferentialFuzzTest}'s verdict that read only the program: which of its own annotations put
 * an axis on a dimension it does not divide (recomputed for every program, so a minimised program that dropped the
 * annotation is judged as what it is), whether a refusal names one of them, and how close two values must be.
 */
final class FuzzOracle {
    private FuzzOracle() {}

    /** How a check failed; the minimiser keeps a smaller program only when it fails the same way. */
    enum Kind {
        /** refused, though every annotation divides its dimension */
        REFUSED,
        /** refused for divisibility, but at none of the annotations that do not divide */
        REFUSED_ELSEWHERE,
        /** an annotation that does not divide its dimension was accepted */
        ACCEPTED,
        /** a closed dimension of a declared sharding lost or changed its axes */
        CLOSED_DIM_CHANGED,
        /** a result differs from the unpartitioned run */
        WRONG_VALUE,
        /** a device's block (a replica's copy) differs from its block of the unpartitioned result */
        WRONG_BLOCK
    }

    static final class Failure extends AssertionError {
        final Kind kind;

        Failure(Kind kind, String message, Throwable cause) {
            super(kind + ": " + message, cause);
            this.kind = kind;
        }

        Failure(Kind kind, String message) { this(kind, message, null); }
    }

    /** The failure's kind for the minimiser: a {@link Kind}, else the class of what was thrown. */
    static String kindOf(Throwable t) { return t instanceof Failure f ? f.kind.name() : t.getClass().getName(); }

    /**
     * An annotation whose axes do not divide a dimension of its value: what it annotates and the lines of the program's
     * text where a refusal may name it (an argument's: the function's line; a result's: the function's or the return's;
     * a constraint's: its own).
     */
    record NonDividing(String what, List<Integer> lines) {}

    private static final Pattern AXIS = Pattern.compile("\"(\\w+)\"=(\\d+)");
    private static final Pattern LINE = Pattern.compile("fuzz\\.mlir:(\\d+):");

    private static int newlines(String s) { return (int) s.chars().filter(c -> c == '\n').count(); }

    /** Every annotation of {@code p} (arguments, results, constraints) with an axis on a dimension it does not divide. */
    static List<NonDividing> nonDividing(ProgramGen.Program p) {
        Map<String, Long> sizes = new HashMap<>();
        Matcher m = AXIS.matcher(p.head().substring(p.head().indexOf("sdy.mesh")));
        while (m.find()) sizes.put(m.group(1), Long.parseLong(m.group(2)));
        int funcLine = newlines(p.head()) + 1, line = funcLine + 1;
        List<NonDividing> out = new ArrayList<>();
        for (int i = 0; i < p.args().size(); i++) {
            if (!divides(p.argShardings().get(i), p.args().get(i).shape(), sizes)) out.add(new NonDividing("argument #" + i, List.of(funcLine)));
        }
        for (String full : p.body()) { // an op with a region spans several lines
            String l = ProgramGen.Program.shown(full);
            int at = l.indexOf(" = sdy.sharding_constraint ");
            if (at >= 0) {
                String type = l.substring(l.lastIndexOf(" : ") + 3);
                String sharding = l.substring(l.indexOf(" <@") + 1, l.lastIndexOf(" : "));
                if (!divides(sharding, ((TensorType) MlirParser.parseType(type)).shape(), sizes)) {
                    out.add(new NonDividing("the constraint " + l.substring(0, at), List.of(line)));
                }
            }
            line += 1 + newlines(l);
        }
        for (int i = 0; i < p.results().size(); i++) {
            if (!divides(p.resultShardings().get(i), p.results().get(i).shape(), sizes)) out.add(new NonDividing("result #" + i, List.of(funcLine, line)));
        }
        return out;
    }

    private static boolean divides(String sharding, long[] shape, Map<String, Long> sizes) {
        if (sharding == null) return true;
        TensorSharding s = (TensorSharding) MlirParser.parseAttribute("#sdy.sharding" + sharding);
        for (int d = 0; d < s.rank(); d++) {
            long n = 1;
            for (AxisRef r : s.axesOfDim(d)) n *= r.isSubAxis() ? r.size() : sizes.get(r.name());
            if (shape[d] % n != 0) return false;
        }
        return true;
    }

    /**
     * A refusal of a program with annotations that do not divide: it must say so ("divisible") at the line of one of
     * them.
     */
    static void refusedAtOneOf(List<NonDividing> bad, Hlo4jException e) {
        String m = e.getMessage();
        if (!m.contains("divisible")) throw new Failure(Kind.REFUSED, "refused without naming divisibility (" + bad + "): " + m, e);
        Matcher lm = LINE.matcher(e.location().describe());
        while (lm.find()) {
            int line = Integer.parseInt(lm.group(1));
            if (bad.stream().anyMatch(b -> b.lines().contains(line))) return;
        }
        throw new Failure(Kind.REFUSED_ELSEWHERE, "refused at " + e.location().describe() + ", not at one of " + bad + ": " + m, e);
    }

    /**
     * Equal values: i32 (and every type in the exact mode, f32 below 2^24, where integer sums do not round) bit for
     * bit; otherwise each element within {@code 1e-4 * (|expected| + 1)} of the expected one, so one huge element
     * does not widen the bound of the others.
     */
    static void same(boolean exact, HostArray want, HostArray got, String what, Kind kind) {
        if (!got.type().equals(want.type())) throw new Failure(kind, what + " has type " + got.type() + ", expected " + want.type());
        boolean isFloat = want.elementType() instanceof FloatType;
        boolean bits = !isFloat;
        if (isFloat && exact) {
            double scale = 0;
            for (int i = 0; i < want.size(); i++) if (Double.isFinite(want.getDouble(i))) scale = Math.max(scale, Math.abs(want.getDouble(i)));
            bits = scale < (1 << 24);
        }
        for (int i = 0; i < want.size(); i++) {
            if (want.getBits(i) == got.getBits(i)) continue;
            double e = want.getDouble(i), g = got.getDouble(i);
            boolean ok = !bits && (Double.compare(e, g) == 0 || Math.abs(e - g) <= 1e-4 * (Math.abs(e) + 1));
            if (!ok) throw new Failure(kind, what + " element " + i + ": expected " + e + " got " + g + " (" + want.type() + ")");
        }
    }
}
