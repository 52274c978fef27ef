package io.hlo4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs command lines on hostile inputs through the CLI, in-process, on a worker thread with the launcher's 16 MiB stack,
 * and judges how each ends: exit 0, or exit 1/2 with one line on stderr that names the problem; never a stack trace,
 * an internal error, an out-of-memory or stack-overflow report (a huge declared size must be refused before it is
 * allocated), or a hang (no end within {@link #HANG_MS}). Failures are collected by their kind and first words, so one
 * bug is reported once with the first mutant that shows it.
 */
final class CliFuzz implements AutoCloseable {
    static final long HANG_MS = 30_000;

    /** Exit codes seen, and each failure site with its first mutant. */
    final Map<Integer, Integer> codes = new java.util.TreeMap<>();
    final Map<String, String> failures = new LinkedHashMap<>();
    int runs;
    private ExecutorService worker = newWorker();

    /** Runs {@code args} (described by {@code what}, e.g. the mutant's number and mutation) and judges the outcome. */
    Cli.Run check(String what, String... args) { return check(1, what, args); }

    /** As {@link #check(String, String...)}, for a command given {@code lines} inputs: one line for each that fails. */
    Cli.Run check(int lines, String what, String... args) {
        runs++;
        Future<Cli.Run> f = worker.submit(() -> Cli.run(args));
        Cli.Run r;
        try {
            r = f.get(HANG_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            failures.putIfAbsent("hang", what + ": no end within " + HANG_MS + " ms: " + String.join(" ", args));
            return null;
        } catch (ExecutionException e) {
            failures.putIfAbsent("thrown " + e.getCause().getClass().getName(), what + ": Main.run threw " + e.getCause());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        codes.merge(r.code(), 1, Integer::sum);
        String why = verdictOnStdout(args, r) ? null : judge(r, lines);
        if (why != null) failures.putIfAbsent(why + ": " + site(r.err()), what + ": " + why + ": " + String.join(" ", args) + "\n" + r);
        return r;
    }

    /**
     * Whether {@code r} is a command whose exit 1 is its verdict, reported on stdout with nothing on stderr, like
     * diff(1): {@code diff} (the modules differ: the diff) and {@code conformance} (a file failed: the per-file lines and
     * the summary). Found when the wider draw of {@code CaseSeeds} first ran {@code conformance} on a file that fails.
     */
    static boolean verdictOnStdout(String[] args, Cli.Run r) {
        if (r.code() != 1 || !r.err().isEmpty() || args.length == 0) return false;
        return switch (args[0]) {
            case "diff" -> !r.out().isEmpty();
            case "conformance" -> r.out().contains("\nconformance summary: ") || r.out().startsWith("conformance summary: ")
                    || r.out().contains("\"summary\"");
            default -> false;
        };
    }

    /** null when {@code r} ended acceptably, else why not. */
    static String judge(Cli.Run r) { return judge(r, 1); }

    /** null when {@code r} ended acceptably with at most {@code lines} lines on stderr, else why not. */
    static String judge(Cli.Run r, int lines) {
        if (r.code() == 0) { // a success may warn on stderr, never with a stack trace or an internal error
            for (String bad : List.of("internal error", "\tat ", "Exception", "OutOfMemory", "StackOverflow")) {
                if (r.err().contains(bad)) return "exit 0 with '" + bad.strip() + "' on stderr";
            }
            return null;
        }
        if (r.code() != 1 && r.code() != 2) return "exit " + r.code();
        String err = r.err().strip();
        if (err.isEmpty()) return "no message";
        String[] each = err.split("\n");
        if (each.length > lines) return lines == 1 ? "more than one line on stderr" : "more than " + lines + " lines on stderr";
        for (String l : each) if (!l.startsWith("hlo4j")) return "a message that does not start with hlo4j";
        for (String l : each) if (l.chars().anyMatch(c -> c != '\r' && Character.isISOControl(c))) return "a raw control character on stderr";
        for (String bad : List.of("internal error", "\tat ", "out of memory", "nested too deeply", "Exception", "OutOfMemory", "StackOverflow")) {
            if (err.contains(bad)) return "a message with '" + bad.strip() + "'";
        }
        return null;
    }

    /** The message's words before its first digit, quote or path separator: the same refusal of different mutants alike. */
    private static String site(String err) {
        String s = err.strip();
        int cut = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isDigit(c) || c == '\'' || c == '/' || c == '"') { cut = i; break; }
        }
        return s.substring(0, Math.min(cut, 80));
    }

    String summary(String name) {
        return name + ": " + runs + " command lines, exit codes " + codes + ", " + failures.size() + " failure sites";
    }

    List<String> failureLines() { return new ArrayList<>(failures.values()); }

    @Override public void close() { worker.shutdownNow(); }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "cli-fuzz", 16L << 20); // ./hlo4j runs with -Xss16m
            t.setDaemon(true);
            return t;
        });
    }
}
