package io.hlo4j.compiler.fuzz;

import io.hlo4j.mlir.ir.Hlo4jException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The pass criterion for a mutant that failed: an hlo4j error (a {@link Hlo4jException}: parse, verify, interpreter,
 * sharding, partitioning) with a message, and no crash anywhere in its cause chain. The interpreter wraps any kernel
 * exception in an InterpreterException naming the op ("stablehlo.x: java.lang.IllegalStateException: ..."), so the
 * cause chain is judged, not just the top: every cause and suppressed failure in it must itself be an hlo4j error or
 * one of {@link #REFUSALS}; anything else (an IllegalStateException, an IllegalArgumentException, a NullPointerException)
 * is hlo4j falling over, whatever wraps it.
 */
final class Verdicts {
    private Verdicts() {}

    /** Exceptions that mean hlo4j itself fell over rather than refusing the input. */
    static final Set<Class<? extends Throwable>> CRASHES = Set.of(NullPointerException.class, IndexOutOfBoundsException.class,
            ClassCastException.class, ArithmeticException.class, NegativeArraySizeException.class, OutOfMemoryError.class,
            StackOverflowError.class, NumberFormatException.class, java.util.NoSuchElementException.class,
            UnsupportedOperationException.class, java.util.ConcurrentModificationException.class, AssertionError.class);

    /**
     * Non-hlo4j exceptions that are deliberate refusals when wrapped in an hlo4j error, by name, each with its reason.
     * Empty for now: every refusal the fuzzers reach throws an hlo4j error itself.
     */
    static final java.util.Map<String, String> REFUSALS = java.util.Map.of();

    /** null when {@code t} is an acceptable refusal, else why not. */
    static String judge(Throwable t) {
        // a crash anywhere in the cause chain or among the suppressed failures (the one-device run a partitioned run
        // outlived) is a crash; Throwable.getCause() never returns the throwable itself, but a chain may loop
        String crash = crashIn(t, t, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        if (crash != null) return crash;
        if (!(t instanceof Hlo4jException h)) return "not an hlo4j error: " + describe(t);
        if (h.detail() == null || h.detail().isBlank()) return "an hlo4j error without a message: " + describe(t);
        for (Throwable s : t.getSuppressed()) {
            String why = judge(s);
            if (why != null) return why + " (suppressed by " + t.getClass().getSimpleName() + ": " + firstLine(t.getMessage()) + ")";
        }
        return null;
    }

    /** null when the refusal {@code t} (already judged acceptable) names a location, else why not. */
    static String unlocated(Throwable t) {
        if (t instanceof Hlo4jException h && h.location() instanceof io.hlo4j.mlir.ir.Location.Unknown)
            return "a refusal without a location: " + describe(t);
        return null;
    }

    private static String crashIn(Throwable top, Throwable t, java.util.Set<Throwable> seen) {
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            for (Class<? extends Throwable> k : CRASHES) {
                if (k.isInstance(c)) return "crash " + describe(c) + (c == top ? "" : " (inside " + top.getClass().getSimpleName() + ": " + firstLine(top.getMessage()) + ")");
            }
            if (c != top && !(c instanceof Hlo4jException) && !REFUSALS.containsKey(c.getClass().getName()))
                return "crash: a wrapped " + describe(c) + " (inside " + top.getClass().getSimpleName() + ": " + firstLine(top.getMessage()) + ")";
            for (Throwable s : c.getSuppressed()) {
                String why = crashIn(top, s, seen);
                if (why != null) return why;
            }
        }
        return null;
    }

    static String describe(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        StringBuilder b = new StringBuilder(t.getClass().getName()).append(": ").append(firstLine(t.getMessage()));
        for (int i = 0; i < Math.min(4, st.length); i++) b.append(i == 0 ? " at " : " < ").append(st[i]);
        return b.toString();
    }

    static String firstLine(String s) {
        if (s == null) return "null";
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }

    /** Failures collected by kind of crash site (the first frame), so one bug reported once with its first mutant. */
    static final class Log {
        final List<String> lines = new ArrayList<>();
        final java.util.Map<String, Integer> bySite = new java.util.LinkedHashMap<>();

        void add(String site, String line) {
            if (bySite.merge(site, 1, Integer::sum) == 1) lines.add(line);
        }
    }
}
