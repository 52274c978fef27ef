package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.testing.CaseSeeds;
import io.hlo4j.mlir.testing.JaxStyle;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ops under {@code loc(unknown)}, as JAX exports write them, are refused at their own place in the file: by
 * {@code verify} and by {@code run}, the one line starts {@code hlo4j: FILE:LINE:COL: }, the line and column of the
 * op (counted by hand for the three cases); and over docs/examples and the JAX export fixtures, printed generically
 * with every {@code loc(...)} replaced by {@code loc(unknown)} and then mutated on one line (see {@link #mutate}),
 * every refusal of {@code verify} and {@code inspect} names FILE:LINE:COL, the verifier's included (the test counts
 * them: before ops kept their parse position, those were the ones refused with no place). Seeded as the other fuzz
 * tests ({@code -Dhlo4j.fuzz.unknownloc.mutants}, {@code -Dhlo4j.fuzz.unknownloc.seed}).
 */
class UnknownLocRefusalTest {
    static final int MUTANTS = Integer.getInteger("hlo4j.fuzz.unknownloc.mutants", 120);
    static final long SEED = Long.getLong("hlo4j.fuzz.unknownloc.seed", 0x10C_0000L);
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir Path dir;

    private void refusedAt(String text, String place, String op) throws IOException {
        Path f = dir.resolve("jax.mlir");
        Files.writeString(f, text);
        for (String command : new String[] {"verify", "run"}) {
            Cli.Run r = Cli.run(command, f.toString());
            assertThat(r.code()).as(command + "\n" + r).isEqualTo(1);
            assertThat(r.err()).as(command).startsWith("hlo4j: " + f + ":" + place + ": '" + op + "' op ");
            assertThat(r.err().lines().count()).as(command).isEqualTo(1);
        }
    }

    @Test void aBadReturn() throws IOException {
        refusedAt(JaxStyle.RETURN, "5:5", "func.return");
    }

    @Test void aBadConstant() throws IOException {
        refusedAt(JaxStyle.CONSTANT, "4:5", "stablehlo.constant");
    }

    @Test void aBadOpInANestedRegion() throws IOException {
        refusedAt(JaxStyle.NESTED, "8:7", "stablehlo.sine");
    }

    /** A module that verifies but the interpreter refuses: {@code run} names FILE:{@code place} and says {@code what}. */
    private void runRefusedAt(String text, String place, String... what) throws IOException {
        Path f = dir.resolve("jax.mlir");
        Files.writeString(f, text);
        assertThat(Cli.run("verify", f.toString()).code()).isZero();
        Cli.Run r = Cli.run("run", f.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("hlo4j: " + f + ":" + place + ": ");
        for (String w : what) assertThat(r.err()).contains(w);
        assertThat(r.err().lines().count()).isEqualTo(1);
    }

    @Test void anUnsupportedCustomCallIsRefusedByTheInterpreterAtItsLine() throws IOException {
        runRefusedAt("""
                #loc1 = loc(unknown)
                module @jit_f {
                  func.func public @main() -> (tensor<4xf32>) {
                    %c = stablehlo.constant dense<1.0> : tensor<4xf32> loc(#loc1)
                    %0 = stablehlo.custom_call @foo(%c) : (tensor<4xf32>) -> tensor<4xf32> loc(#loc1)
                    return %0 : tensor<4xf32> loc(#loc1)
                  } loc(#loc1)
                } loc(#loc1)
                """, "5:5", "foo");
    }

    @Test void anOversizedIotaIsRefusedByTheInterpreterAtItsLine() throws IOException {
        runRefusedAt("""
                #loc1 = loc(unknown)
                module @jit_f {
                  func.func public @main() -> (tensor<100000x100000xf32>) {
                    %0 = stablehlo.iota dim = 0 : tensor<100000x100000xf32> loc(#loc1)
                    return %0 : tensor<100000x100000xf32> loc(#loc1)
                  } loc(#loc1)
                } loc(#loc1)
                """, "4:5", "stablehlo.iota", "10000000000 elements");
    }

    /** {@code text} with every {@code loc(...)} (nested parentheses and quoted strings included) as {@code loc(unknown)}. */
    static String unknownLocations(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int at = text.indexOf("loc(", i);
            if (at < 0) break;
            out.append(text, i, at).append("loc(unknown)");
            int depth = 0, j = at + 3;
            boolean quoted = false;
            for (; j < text.length(); j++) {
                char c = text.charAt(j);
                if (quoted) {
                    if (c == '\\') j++;
                    else if (c == '"') quoted = false;
                } else if (c == '"') quoted = true;
                else if (c == '(') depth++;
                else if (c == ')' && --depth == 0) break;
            }
            i = j + 1;
        }
        return out.append(text.substring(Math.min(i, text.length()))).toString();
    }

    /** The valid modules of docs/examples and the JAX export fixtures, printed generically with every location unknown. */
    static List<String> sources() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path d : List.of(ROOT.resolve("docs/examples"), ROOT.resolve("cli/src/test/resources/jaxexport"))) {
            try (Stream<Path> s = Files.walk(d)) {
                s.filter(p -> p.toString().endsWith(".mlir")).sorted().forEach(files::add);
            }
        }
        List<String> out = new ArrayList<>();
        for (Path p : files) {
            List<Module> ms;
            try {
                ms = MlirParser.parseFile(p);
                ms.forEach(ModuleVerifier::verify);
            } catch (RuntimeException e) {
                continue; // the examples of refusals (bad.mlir, mismatch.mlir) are not sources
            }
            for (Module m : ms) out.add(unknownLocations(MlirPrinter.print(m, PrintOptions.DEFAULT.withGeneric(true).withLocations(true))));
        }
        return out;
    }

    private static final Pattern ELEMENT = Pattern.compile("f32|f16|bf16|f64|i1|i8|i32|i64|ui32");
    private static final Pattern DIM = Pattern.compile("tensor<(\\d+)");

    private static final Pattern ARRAY_NUMBER = Pattern.compile("array<i64: (\\d+)");

    /**
     * One op's line changed, or null when the line has nothing to change: a result's element type or first dimension
     * (mostly refused by the parser, at a use whose declared type no longer agrees), a number of an
     * {@code array<i64: ...>} attribute (dimensions, permutations: refused by the op's verifier) or the result type
     * in a function's {@code function_type} (refused at its {@code func.return}).
     */
    static String mutate(String line, int kind) {
        if (kind == 3) {
            int ft = line.indexOf("function_type = ");
            int arrow = ft < 0 ? -1 : line.indexOf("-> ", ft);
            return arrow < 0 ? null : changeElement(line, arrow);
        }
        if (kind == 2) {
            var m = ARRAY_NUMBER.matcher(line);
            if (!m.find()) return null;
            return line.substring(0, m.start(1)) + (Long.parseLong(m.group(1)) + 1) + line.substring(m.end(1));
        }
        int arrow = line.lastIndexOf("-> ");
        if (arrow < 0) return null;
        if (kind == 0) return changeElement(line, arrow);
        var m = DIM.matcher(line);
        if (!m.find(arrow)) return null;
        return line.substring(0, m.start(1)) + (Long.parseLong(m.group(1)) + 1) + line.substring(m.end(1));
    }

    /** The first element type after {@code from} swapped for another. */
    private static String changeElement(String line, int from) {
        var m = ELEMENT.matcher(line);
        if (!m.find(from)) return null;
        String to = switch (m.group()) { case "f32" -> "f16"; case "i32" -> "i64"; case "i1" -> "i8"; default -> "f32"; };
        return line.substring(0, m.start()) + to + line.substring(m.end());
    }

    @Test void everyRefusalOfAnUnknownLocatedModuleNamesFileLineCol() throws IOException {
        List<String> sources = sources();
        assertThat(sources).hasSizeGreaterThan(20);
        int refused = 0, byVerifier = 0;
        for (int i = 0; i < MUTANTS; i++) {
            Random r = new Random(CaseSeeds.of(SEED, i));
            String src = sources.get(r.nextInt(sources.size()));
            List<String> lines = new ArrayList<>(src.lines().toList());
            int kind = r.nextInt(4);
            List<Integer> candidates = new ArrayList<>();
            for (int k = 0; k < lines.size(); k++) if (mutate(lines.get(k), kind) != null) candidates.add(k);
            if (candidates.isEmpty()) continue;
            int line = candidates.get(r.nextInt(candidates.size()));
            String mutated = mutate(lines.get(line), kind);
            lines.set(line, mutated);
            Path f = dir.resolve("mutant" + i + ".mlir");
            Files.writeString(f, String.join("\n", lines) + "\n");
            for (String command : new String[] {"verify", "inspect"}) {
                Cli.Run run = Cli.run(command, f.toString());
                if (run.code() == 0) continue;
                if (command.equals("verify")) refused++;
                // the verifier's refusals ("'op' op ..."), which had no place before, not only the parser's
                if (command.equals("verify") && run.err().contains("' op ")) byVerifier++;
                assertThat(run.err()).as("mutant %d (line %d, Random(CaseSeeds.of(%d, %d))) %s\n%s", i, line + 1, SEED, i, command, mutated)
                        .matches("hlo4j: " + Pattern.quote(f.toString()) + ":\\d+:\\d+: (?s).*");
            }
        }
        System.out.println("unknown-loc fuzz: " + MUTANTS + " mutants, " + refused + " refused by verify, " + byVerifier + " of them by the verifier");
        assertThat(refused).as("mutants refused by verify").isGreaterThan(MUTANTS / 4);
        assertThat(byVerifier).as("mutants refused by the verifier").isGreaterThan(MUTANTS / 10);
    }
}
