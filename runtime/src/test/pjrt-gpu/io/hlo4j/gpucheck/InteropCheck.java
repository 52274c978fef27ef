package io.hlo4j.gpucheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.hlo4j.gpucheck.CheckSupport.oneLine;
import static io.hlo4j.gpucheck.CheckSupport.relErr;

/**
 * The GPU check's interop stage, hlo4j's side (run by scripts/gpu-check.sh from the bundle): {@code InteropCheck DIR}.
 *
 * DIR holds what bench/jax_interop.py wrote on the machine with JAX (or the committed fixtures of the selftest):
 * {@code manifest.json} listing programs as StableHLO text, their inputs and JAX's outputs as .npy. Each program runs
 * through {@code hlo4j run} exactly as docs/jax-interop.md tells users ({@code run F.mlir --input ... -o DIR}, in this
 * JVM), on one device and, for programs with a mesh ({@code "spmd": true}), also partitioned on simulated devices
 * ({@code --spmd}). A module holding {@code sdy.manual_computation} (a shard_map) is partitioned by {@code run} without
 * {@code --spmd}, so it runs once, labelled so: a second run would compare the partitioner with itself. One line per
 * run: {@code interop <name> (<mode>): ... max rel err <e> ... -> ok|FAIL (tol <t>)}, the error being
 * max|hlo4j - JAX| / max|JAX| per result; a program hlo4j refuses prints {@code REFUSED} and its one-line error; any
 * other failure of a run (a missing file, a wrong shape) prints {@code FAIL} and its reason. Ends {@code INTEROP OK}
 * or {@code INTEROP FAILED: n of m runs (k refused)} in every case; exit 0/1.
 */
public final class InteropCheck {
    static final double DEFAULT_TOL = 1e-4;
    static final String ONE_DEVICE = "1 device", SPMD = "spmd", IMPLIED = "spmd, implied by sdy.manual_computation";

    public enum Status { OK, FAIL, REFUSED }

    /** One run's outcome and its printed line. */
    public record Result(Status status, String line, boolean partitionedAnyway) {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: InteropCheck DIR (with DIR/manifest.json)");
            System.exit(2);
        }
        System.exit(checkAll(Path.of(args[0]), System.out));
    }

    /** Runs every program of DIR's manifest, prints each run's line and the summary; returns the exit status. */
    public static int checkAll(Path dir, PrintStream log) {
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException | RuntimeException e) {
            log.println("INTEROP FAILED: no readable " + dir.resolve("manifest.json") + " (" + oneLine(e) + ")");
            return 1;
        }
        if (manifest.hasNonNull("jax")) log.println("programs written by jax " + manifest.get("jax").asText());
        int failed = 0, refused = 0, runs = 0;
        for (JsonNode p : manifest.path("programs")) {
            Result first = check(dir, p, ONE_DEVICE);
            List<Result> results = new ArrayList<>(List.of(first));
            if (p.path("spmd").asBoolean(false) && !first.partitionedAnyway()) results.add(check(dir, p, SPMD));
            for (Result r : results) {
                log.println(r.line());
                runs++;
                if (r.status() == Status.REFUSED) refused++;
                if (r.status() != Status.OK) failed++;
            }
        }
        log.println(failed == 0 && runs > 0 ? "INTEROP OK (" + runs + " runs)"
                : "INTEROP FAILED: " + failed + " of " + runs + " runs (" + refused + " refused)");
        return failed == 0 && runs > 0 ? 0 : 1;
    }

    /** Runs one program one way (mode ONE_DEVICE or SPMD); never throws: every failure is a FAIL line. */
    public static Result check(Path dir, JsonNode p, String mode) {
        String name = p.path("name").asText("?");
        double tol = p.path("tol").asDouble(DEFAULT_TOL);
        Path out = null;
        boolean implied = false;
        String what = "interop " + name + " (" + mode + ")";
        try {
            out = Files.createTempDirectory(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".hlo4j");
            List<String> cmd = new ArrayList<>(List.of("run", dir.resolve(p.get("mlir").asText()).toString()));
            for (JsonNode in : p.get("inputs")) cmd.addAll(List.of("--input", dir.resolve(in.asText()).toString()));
            if (mode.equals(SPMD)) cmd.add("--spmd");
            cmd.addAll(List.of("-o", out.toString()));
            long t0 = System.nanoTime();
            CheckSupport.CliRun run = CheckSupport.cli(cmd.toArray(String[]::new));
            double ms = (System.nanoTime() - t0) / 1e6;
            // run says so when it partitions a shard_map by itself (RunCommand): then this run is the spmd one.
            implied = mode.equals(ONE_DEVICE) && run.out().contains("holds sdy.manual_computation");
            if (implied) what = "interop " + name + " (" + IMPLIED + ")";
            if (!run.ok()) return new Result(Status.REFUSED, what + ": REFUSED " + run.error(), implied);
            JsonNode outs = p.get("outputs");
            double worst = 0;
            StringBuilder each = new StringBuilder();
            for (int j = 0; j < outs.size(); j++) {
                Path got = out.resolve("result" + j + ".npy");
                if (!Files.exists(got)) throw new IllegalStateException("hlo4j gave no result #" + j + " (JAX gave " + outs.size() + ")");
                double e = relErr(Npy.read(got), Npy.read(dir.resolve(outs.get(j).asText())));
                each.append(String.format(Locale.ROOT, " %.1e", e));
                worst = Math.max(worst, e);
            }
            if (Files.exists(out.resolve("result" + outs.size() + ".npy")))
                throw new IllegalStateException("hlo4j gave more results than JAX's " + outs.size());
            boolean ok = worst <= tol;
            return new Result(ok ? Status.OK : Status.FAIL, String.format(Locale.ROOT, "%s: %d results, max rel err %.2e [%s ] in %.0f ms -> %s (tol %.0e)",
                    what, outs.size(), worst, each.toString().strip(), ms, ok ? "ok" : "FAIL", tol), implied);
        } catch (Exception | Error e) {   // a missing or unreadable file, a wrong shape, a malformed manifest entry
            return new Result(Status.FAIL, what + ": FAIL " + oneLine(e), implied);
        } finally {
            if (out != null) deleteQuietly(out);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temporary folder left behind is not the check's result
        }
    }
}
