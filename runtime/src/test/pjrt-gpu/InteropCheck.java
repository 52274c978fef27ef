import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.Main;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The GPU check's interop stage, hlo4j's side (run by scripts/gpu-check.sh from the bundle): {@code InteropCheck DIR}.
 *
 * DIR holds what bench/jax_interop.py wrote on the machine with JAX (or the committed fixtures of the selftest):
 * {@code manifest.json} listing programs as StableHLO text, their inputs and JAX's outputs as .npy. Each program runs
 * through {@code hlo4j run} exactly as docs/jax-interop.md tells users ({@code run F.mlir --input ... -o DIR}, in this
 * JVM), on one device and, for programs with a mesh ({@code "spmd": true}), also partitioned on simulated devices
 * ({@code --spmd}). One line per run:
 * {@code interop <name> (<mode>): max rel err <e> -> ok|FAIL (tol <t>)}, where the error is max|hlo4j - JAX| / max|JAX|
 * over each result; a program hlo4j refuses prints {@code REFUSED} and its one-line error. Ends {@code INTEROP OK} or
 * {@code INTEROP FAILED: n (k refused)}; exit 0/1.
 */
public final class InteropCheck {
    static final double DEFAULT_TOL = 1e-4;

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: InteropCheck DIR (with DIR/manifest.json)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        if (manifest.hasNonNull("jax")) System.out.println("programs written by jax " + manifest.get("jax").asText());
        int failed = 0, refused = 0, runs = 0;
        for (JsonNode p : manifest.get("programs")) {
            List<String> modes = new ArrayList<>(List.of("1 device"));
            if (p.path("spmd").asBoolean(false)) modes.add("spmd");
            for (String mode : modes) {
                runs++;
                String r = check(dir, p, mode);
                if (r.equals("refused")) refused++;
                if (!r.equals("ok")) failed++;
            }
        }
        System.out.println(failed == 0 ? "INTEROP OK (" + runs + " runs)" : "INTEROP FAILED: " + failed + " of " + runs + " runs (" + refused + " refused)");
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Runs one program one way; prints its line; returns ok, fail or refused. */
    static String check(Path dir, JsonNode p, String mode) throws Exception {
        String name = p.get("name").asText();
        double tol = p.path("tol").asDouble(DEFAULT_TOL);
        String what = "interop " + name + " (" + mode + ")";
        Path out = Files.createTempDirectory(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".hlo4j");
        List<String> cmd = new ArrayList<>(List.of("run", dir.resolve(p.get("mlir").asText()).toString()));
        for (JsonNode in : p.get("inputs")) cmd.addAll(List.of("--input", dir.resolve(in.asText()).toString()));
        if (mode.equals("spmd")) cmd.add("--spmd");
        cmd.addAll(List.of("-o", out.toString()));
        StringWriter so = new StringWriter(), se = new StringWriter();
        long t0 = System.nanoTime();
        int code = Main.run(new PrintWriter(so), new PrintWriter(se), cmd.toArray(String[]::new));
        double ms = (System.nanoTime() - t0) / 1e6;
        if (code != 0) {
            String e = se.toString().strip();
            System.out.println(what + ": REFUSED (exit " + code + ") " + (e.isEmpty() ? so.toString().strip() : e.lines().findFirst().orElse("")));
            return "refused";
        }
        try {
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
            System.out.printf(Locale.ROOT, "%s: %d results, max rel err %.2e [%s ] in %.0f ms -> %s (tol %.0e)%n", what, outs.size(), worst,
                    each.toString().strip(), ms, ok ? "ok" : "FAIL", tol);
            return ok ? "ok" : "fail";
        } catch (RuntimeException e) {
            System.out.println(what + ": FAIL " + e.getMessage());
            return "fail";
        } finally {
            try (var files = Files.list(out)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(out);
        }
    }

    /** max|got - want| / max|want| over one result; shapes must agree (element types may differ: both read as doubles). */
    static double relErr(HostArray got, HostArray want) {
        if (!Arrays.equals(got.shape(), want.shape()))
            throw new IllegalStateException("result shape " + Arrays.toString(got.shape()) + " where JAX gave " + Arrays.toString(want.shape()));
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < g.length; i++) {
            num = Math.max(num, Math.abs(g[i] - w[i]));
            den = Math.max(den, Math.abs(w[i]));
        }
        return den == 0 ? num : num / den;
    }
}
