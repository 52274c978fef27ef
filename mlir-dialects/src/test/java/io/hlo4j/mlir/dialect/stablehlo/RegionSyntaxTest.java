package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.testing.ConformanceFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Part B's op syntaxes against upstream's own printed text: every conformance testdata file (written by
 * stablehlo-opt) that uses one of these ops is parsed and printed again, and each line of the original that
 * holds one of these ops must appear unchanged (up to whitespace) in the printed module. The hand-written
 * interpret/ files (custom SSA names) and testdata/dynamic/ (an older printer) must reach a print fixpoint.
 */
class RegionSyntaxTest {
    /** The ops whose lines are checked: part B's pretty forms and generic-only region/collective/token ops. */
    private static final Pattern OP_LINE = Pattern.compile("^reducer\\(|^cond \\{|^\\} do \\{|(^|= )(stablehlo\\.(reduce\\(|while\\(|return |custom_call @"
            + "|composite |optimization_barrier |after_all |partition_id |replica_id |create_token |rng |rng_bit_generator )"
            + "|\"stablehlo\\.(if|case|sort|map|reduce|reduce_window|select_and_scatter|scatter|all_gather|all_reduce"
            + "|reduce_scatter|all_to_all|collective_permute|collective_broadcast|collective_reduce|infeed|outfeed|send|recv"
            + "|async_start|async_done|while|return|custom_call|optimization_barrier)\")");

    private static List<Path> files(String sub) { return ConformanceFiles.files(sub); }

    static String squash(String s) { return s.replaceAll("\\s+", " ").trim(); }

    /** Lines of {@code text} (comments dropped) that hold one of part B's ops. */
    static List<String> opLines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("//")) continue;
            if (OP_LINE.matcher(l).find()) out.add(squash(l));
        }
        return out;
    }

    private static String printAll(List<Module> modules) {
        StringBuilder sb = new StringBuilder();
        for (Module m : modules) {
            if (sb.length() > 0) sb.append("// -----\n");
            sb.append(MlirPrinter.print(m)).append('\n');
        }
        return sb.toString();
    }

    /** Each file is parsed once: its part-B ops must verify, and its part-B lines must print as upstream wrote them. */
    @Test
    void testdataLinesPrintAsUpstream() throws IOException {
        int files = 0, lines = 0, verified = 0;
        Map<String, String> failures = new TreeMap<>();
        for (Path f : files("testdata")) {
            // dynamic/ was printed by an older stablehlo-opt (no %cst names, no compact reduce): fixpoint only.
            if (f.getParent().getFileName().toString().equals("dynamic")) continue;
            String text = Files.readString(f);
            List<String> expected = opLines(text);
            if (expected.isEmpty()) continue;
            files++;
            try {
                List<Module> modules = MlirParser.parseSplit(text, f.toString());
                verified += verifyPartBOps(modules);
                String printed = squash(printAll(modules));
                for (String line : expected) {
                    lines++;
                    if (!printed.contains(line)) {
                        failures.putIfAbsent(f.getFileName().toString(), line);
                    }
                }
            } catch (RuntimeException e) {
                failures.put(f.getFileName().toString(), e.toString());
            }
        }
        System.out.printf("RegionSyntaxTest: %d testdata files, %d op lines, %d part-B ops verified, %d files with a mismatch%n",
                files, lines, verified, failures.size());
        assertThat(files).isGreaterThan(1000);
        assertThat(verified).isGreaterThan(2500);
        assertThat(failures).as("files whose part-B op lines do not print back as upstream wrote them").isEmpty();
    }

    /** Part B's ops, by name. */
    static final java.util.Set<String> PART_B_OPS = java.util.Set.of("reduce", "while", "if", "case", "sort", "map",
            "reduce_window", "select_and_scatter", "scatter", "return", "optimization_barrier", "composite", "custom_call",
            "all_gather", "all_reduce", "reduce_scatter", "all_to_all", "collective_permute", "collective_broadcast",
            "collective_reduce", "cross-replica-sum", "partition_id", "replica_id", "after_all", "create_token", "infeed",
            "outfeed", "send", "recv", "rng", "rng_bit_generator", "async_start", "async_done");

    /** Runs part B's verifiers on every part-B op of {@code modules} (upstream's programs are valid); returns the count. */
    private static int verifyPartBOps(List<Module> modules) {
        int[] checked = {0};
        for (Module m : modules) {
            io.hlo4j.mlir.ir.Walker.walk(m.op(), op -> {
                if (op.dialect().equals("stablehlo") && PART_B_OPS.contains(op.name().substring("stablehlo.".length()))) {
                    checked[0]++;
                    op.def().verifier().verify(op);
                }
            });
        }
        return checked[0];
    }

    @Test
    void interpretAndDynamicFilesReachAPrintFixpoint() throws IOException {
        Map<String, String> failures = new TreeMap<>();
        int files = 0, verified = 0;
        List<Path> all = new ArrayList<>(files("interpret"));
        all.addAll(files("testdata/dynamic"));
        for (Path f : all) {
            String text = Files.readString(f);
            if (opLines(text).isEmpty()) continue;
            files++;
            try {
                List<Module> modules = MlirParser.parseSplit(text, f.toString());
                verified += verifyPartBOps(modules);
                String once = printAll(modules);
                String twice = printAll(MlirParser.parseSplit(once, f + " (printed)"));
                if (!squash(once).equals(squash(twice))) failures.put(f.getFileName().toString(), "print is not a fixpoint");
            } catch (RuntimeException e) {
                failures.put(f.getFileName().toString(), e.toString());
            }
        }
        System.out.printf("RegionSyntaxTest: %d interpret and dynamic files, %d part-B ops verified, %d failures%n",
                files, verified, failures.size());
        assertThat(verified).isGreaterThan(200);
        assertThat(files).isGreaterThan(90);
        assertThat(failures).isEmpty();
    }
}
