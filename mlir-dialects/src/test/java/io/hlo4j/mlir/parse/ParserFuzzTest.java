package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.ParseException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded mutants of conformance files (byte flips, truncation, token swaps and deletions, splices, deep
 * nesting, huge shapes and numbers) must each end in a ParseException or a successful parse: no other
 * exception, no hang (per-input timeout), no OutOfMemoryError or StackOverflowError (the worker thread has a
 * 1 MiB stack).
 */
class ParserFuzzTest {
    /** Count and seed can be raised for a longer local run: -Dhlo4j.fuzz.mutants=100000 -Dhlo4j.fuzz.seed=7. */
    private static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.mutants", 10_000);
    private static final long SEED = Long.getLong("hlo4j.fuzz.seed", 0x5EED_0000L);
    private static final long TIMEOUT_MS = 5_000;
    private static final String NOISE = "{}[]()<>\"%#@!^:,=-x?09.\n ";

    @Test
    void mutantsEndInParseExceptionOrSuccess() throws Exception {
        List<String> seeds = seeds();
        assertThat(seeds).hasSizeGreaterThan(100);
        List<String> failures = new ArrayList<>();
        int parsed = 0;
        int rejected = 0;
        ExecutorService worker = newWorker();
        try {
            for (int i = 0; i < MUTANTS && failures.size() < 20; i++) {
                Random r = new Random(io.hlo4j.mlir.testing.CaseSeeds.of(SEED, i)); // SEED and i mixed: see CaseSeeds
                String seed = seeds.get(r.nextInt(seeds.size()));
                String kind = KINDS[i % KINDS.length];
                String mutant = mutate(kind, seed, seeds, r);
                Future<?> f = worker.submit(() -> MlirParser.parseSplit(mutant, "mutant.mlir"));
                try {
                    f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    parsed++;
                } catch (TimeoutException e) {
                    f.cancel(true);
                    worker.shutdownNow();
                    worker = newWorker();
                    failures.add("mutant " + i + " (" + kind + "): no result within " + TIMEOUT_MS + " ms");
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof ParseException) rejected++;
                    else failures.add("mutant " + i + " (" + kind + "): " + describe(e.getCause()));
                }
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.printf("parser fuzz: %d mutants of %d seeds, %d parsed, %d rejected with a ParseException%n",
                MUTANTS, seeds.size(), parsed, rejected);
        assertThat(failures).isEmpty();
        assertThat(parsed + rejected).isEqualTo(MUTANTS);
        // Mutants that still parse exist (e.g. flips inside hex blobs or comments) but most are rejected.
        assertThat(rejected).isGreaterThan(MUTANTS / 2);
    }

    private static final String[] KINDS = {"flip", "truncate", "swap", "delete", "splice", "nest", "shape", "number", "flip", "swap"};

    private static String mutate(String kind, String s, List<String> seeds, Random r) {
        StringBuilder sb = new StringBuilder(s);
        switch (kind) {
            case "flip" -> {
                int n = 1 + r.nextInt(5);
                for (int k = 0; k < n; k++) sb.setCharAt(r.nextInt(sb.length()), NOISE.charAt(r.nextInt(NOISE.length())));
            }
            case "truncate" -> sb.setLength(r.nextInt(sb.length()));
            case "swap", "delete" -> {
                List<int[]> toks = tokens(s);
                int[] a = toks.get(r.nextInt(toks.size()));
                int[] b = toks.get(r.nextInt(toks.size()));
                if (kind.equals("delete")) return s.substring(0, a[0]) + s.substring(a[1]);
                if (a[0] > b[0]) { int[] t = a; a = b; b = t; }
                if (a[1] > b[0]) return s;
                return s.substring(0, a[0]) + s.substring(b[0], b[1]) + s.substring(a[1], b[0]) + s.substring(a[0], a[1]) + s.substring(b[1]);
            }
            case "splice" -> {
                String other = seeds.get(r.nextInt(seeds.size()));
                int from = r.nextInt(other.length());
                int len = Math.min(other.length() - from, 1 + r.nextInt(200));
                sb.insert(r.nextInt(sb.length()), other, from, from + len);
            }
            case "nest" -> {
                String[] openers = {"[", "(", "{", "<", "tensor<", "dense<[", "array<i64: ", "loc(callsite(", "({^bb0:"};
                String o = openers[r.nextInt(openers.length)];
                sb.insert(r.nextInt(sb.length()), o.repeat(1 + r.nextInt(r.nextBoolean() ? 300 : 30_000)));
            }
            case "shape" -> {
                String[] huge = {"99999999999999999999x", "9223372036854775807x2x", "4294967296x4294967296x", "0x", "?x", "100000000x"};
                int at = s.indexOf("tensor<", r.nextInt(s.length()));
                if (at < 0) at = s.indexOf("tensor<");
                if (at >= 0) sb.insert(at + 7, huge[r.nextInt(huge.length)]);
            }
            case "number" -> {
                String[] nums = {"99999999999999999999999", "-0", "0x", "0xFFFFFFFFFFFFFFFFFFFF", "1e99999", "1.0e-99999", "-", "2147483648"};
                int at = r.nextInt(sb.length());
                while (at < sb.length() && !Character.isDigit(sb.charAt(at))) at++;
                if (at < sb.length()) sb.replace(at, at + 1, nums[r.nextInt(nums.length)]);
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return sb.toString();
    }

    /** Rough token spans: runs of non-blank characters. */
    private static List<int[]> tokens(String s) {
        List<int[]> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
            int st = i;
            while (i < s.length() && !Character.isWhitespace(s.charAt(i))) i++;
            if (i > st) out.add(new int[] {st, i});
        }
        if (out.isEmpty()) out.add(new int[] {0, 0});
        return out;
    }

    /** Small conformance files (every file under 6 KB), so the run stays well under a minute. */
    private static List<String> seeds() {
        List<String> out = new ArrayList<>();
        for (Path p : ConformanceFiles.all()) {
            String t = ConformanceFiles.read(p);
            if (t.length() < 6_000) out.add(t);
        }
        return out;
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            // An explicit 1 MiB stack (the usual default), whatever -Xss the test JVM runs with.
            Thread t = new Thread(null, r, "parser-fuzz", 1 << 20);
            t.setDaemon(true);
            return t;
        });
    }

    private static String describe(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return t + (st.length > 0 ? " at " + st[0] : "") + (st.length > 1 ? " < " + st[1] : "") + (st.length > 2 ? " < " + st[2] : "");
    }
}
