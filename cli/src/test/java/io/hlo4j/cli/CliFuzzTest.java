package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI on mutated inputs: modules for {@code run}, {@code dump}, {@code inspect}, {@code shardings}, {@code print}
 * and {@code verify}; {@code .npy} inputs with hostile headers (huge, negative and overflowing shapes, wrong and unknown
 * dtypes, truncated data, lying header lengths); {@code moe run} with mutated JSON configs. Each command line must end
 * with exit 0, or 1/2 and one line naming the problem ({@link CliFuzz#judge}). Deterministic: mutant {@code i} comes from
 * {@code Random(CaseSeeds.of(seed, i))} alone; 100 per test by default (20 MoE configs); more with {@code -Dhlo4j.clifuzz.mutants=N
 * -Dhlo4j.clifuzz.moe.mutants=M} (and another {@code -Dhlo4j.clifuzz.seed=S}).
 */
class CliFuzzTest {
    static final int MUTANTS = Integer.getInteger("hlo4j.clifuzz.mutants", 100);
    static final long SEED = Long.getLong("hlo4j.clifuzz.seed", 0xC11_0000L);
    /** moe run traces and runs a MoE layer per mutant that passes validation: fewer by default to stay near 20 s. */
    static final int MOE_MUTANTS = Integer.getInteger("hlo4j.clifuzz.moe.mutants", 20);
    /** One seed per test: CaseSeeds mixes the seed before adding the case number, so neighbouring seeds share no case. */
    static final long STRUCTURE_SEED = SEED + 1, NPY_SEED = SEED + 2, MOE_SEED = SEED + 3;
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path EXAMPLES = ROOT.resolve("docs/examples");

    @TempDir Path dir;

    // ==== modules ================================================================================================

    private static final String[] MODULES = {"add.mlir", "dot.mlir", "psum.mlir", "sharded.mlir", "global-dot.mlir", "mlp-dp-tp.mlir",
            "partial-manual.mlir"};

    /** The {@link #MODULES}' texts, and zero-filled inputs for each one's @main, in the same order. */
    private record Seeds(List<String> texts, List<List<Path>> inputs) {}

    private Seeds seedModules() throws IOException {
        List<String> texts = new ArrayList<>();
        List<List<Path>> inputs = new ArrayList<>();
        for (String name : MODULES) {
            String text = Files.readString(EXAMPLES.resolve(name));
            texts.add(text);
            inputs.add(zeroInputs(text, name));
        }
        return new Seeds(texts, inputs);
    }

    @Test
    void mutatedModulesThroughEveryCommand() throws IOException {
        Seeds seeds = seedModules();
        try (CliFuzz fuzz = new CliFuzz()) {
            for (int i = 0; i < MUTANTS; i++) {
                Random r = new Random(io.hlo4j.mlir.testing.CaseSeeds.of(SEED, i));
                int s = r.nextInt(seeds.texts().size());
                String kind = TextMutator.KINDS[r.nextInt(TextMutator.KINDS.length)];
                String text = TextMutator.mutate(kind, seeds.texts().get(s), r);
                Path f = Files.writeString(dir.resolve("m" + i + ".mlir"), text);
                String what = "mutant " + i + " (" + kind + " of " + MODULES[s] + ")";
                List<String> args = new ArrayList<>();
                switch (r.nextInt(8)) {
                    case 0, 1 -> {
                        args.addAll(List.of("run", f.toString(), "--timeout", "5"));
                        for (Path in : seeds.inputs().get(s)) args.addAll(List.of("--input", in.toString()));
                    }
                    case 2 -> {
                        args.addAll(List.of("run", f.toString(), "--spmd", "--timeout", "5"));
                        for (Path in : seeds.inputs().get(s)) args.addAll(List.of("--input", in.toString()));
                    }
                    case 3 -> args.addAll(List.of("inspect", f.toString()));
                    case 4 -> args.addAll(List.of("shardings", f.toString()));
                    case 5 -> args.addAll(List.of("dump", f.toString(), "--emit", r.nextBoolean() ? "explicit" : "annotated"));
                    case 6 -> args.addAll(List.of("print", "--generic", f.toString()));
                    default -> args.addAll(List.of("verify", f.toString()));
                }
                fuzz.check(what, args.toArray(String[]::new));
            }
            System.out.println(fuzz.summary("CLI fuzz over mutated modules"));
            assertThat(fuzz.failureLines()).as(fuzz.summary("failures")).isEmpty();
            // not vacuous: some mutants still run, many are refused
            assertThat(fuzz.codes.getOrDefault(0, 0)).isGreaterThan(MUTANTS / 10);
            assertThat(fuzz.codes.getOrDefault(1, 0)).isGreaterThan(MUTANTS / 5);
        }
    }

    /** Structural mutants ({@link io.hlo4j.mlir.testing.StructureMutator}) of the same modules, for the commands that read a module. */
    static final int STRUCTURE_MUTANTS = Integer.getInteger("hlo4j.clifuzz.structure.mutants", 60);

    @Test
    void structuralMutantsThroughRunInspectPrintAndVerify() throws IOException {
        Seeds seeds = seedModules();
        try (CliFuzz fuzz = new CliFuzz()) {
            for (int i = 0; i < STRUCTURE_MUTANTS; i++) {
                Random r = new Random(io.hlo4j.mlir.testing.CaseSeeds.of(STRUCTURE_SEED, i));
                int s = r.nextInt(seeds.texts().size());
                String kind = io.hlo4j.mlir.testing.StructureMutator.KINDS[r.nextInt(io.hlo4j.mlir.testing.StructureMutator.KINDS.length)];
                Path f = Files.writeString(dir.resolve("s" + i + ".mlir"), io.hlo4j.mlir.testing.StructureMutator.mutate(kind, seeds.texts().get(s), r));
                List<String> args = new ArrayList<>();
                switch (r.nextInt(5)) {
                    case 0, 1 -> {
                        args.addAll(List.of("run", f.toString(), "--timeout", "5"));
                        for (Path in : seeds.inputs().get(s)) args.addAll(List.of("--input", in.toString()));
                    }
                    case 2 -> args.addAll(List.of("inspect", f.toString()));
                    case 3 -> args.addAll(List.of("print", f.toString()));
                    default -> args.addAll(List.of("verify", f.toString()));
                }
                fuzz.check("structure mutant " + i + " (" + kind + " of " + MODULES[s] + ")", args.toArray(String[]::new));
            }
            System.out.println(fuzz.summary("CLI fuzz over structural mutants"));
            assertThat(fuzz.failureLines()).as(fuzz.summary("failures")).isEmpty();
            assertThat(fuzz.codes.getOrDefault(0, 0)).isGreaterThan(STRUCTURE_MUTANTS / 20);
            assertThat(fuzz.codes.getOrDefault(1, 0)).isGreaterThan(STRUCTURE_MUTANTS / 3);
        }
    }

    /** Zero-filled .npy files for the seed's @main arguments (an input the unmutated module accepts). */
    private List<Path> zeroInputs(String text, String name) throws IOException {
        Module m = MlirParser.parseModule(text, name);
        Operation main = m.entryFunction();
        List<Path> out = new ArrayList<>();
        int k = 0;
        for (var a : main.region(0).entry().arguments()) {
            TensorType t = (TensorType) a.type();
            HostArray z = HostArray.zeros(t);
            Path p = dir.resolve(name + "." + k++ + ".npy");
            Npy.write(p, z);
            out.add(p);
        }
        return out;
    }

    // ==== .npy headers ============================================================================================

    @Test
    void npyInputsWithHostileHeaders() throws IOException {
        Path add = EXAMPLES.resolve("add.mlir");
        byte[] good = Npy.encode(HostArray.fromFloats(TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 4), 1, 2, 3, 4));
        Path goodFile = Files.write(dir.resolve("good.npy"), good);
        try (CliFuzz fuzz = new CliFuzz()) {
            for (int i = 0; i < MUTANTS; i++) {
                Random r = new Random(io.hlo4j.mlir.testing.CaseSeeds.of(NPY_SEED, i));
                NpyMutator.Mutant m = NpyMutator.mutate(good, r);
                Path f = Files.write(dir.resolve("x" + i + ".npy"), m.bytes());
                String what = "npy mutant " + i + " (" + m.how() + ")";
                if (r.nextBoolean()) fuzz.check(what, "run", add.toString(), "--input", f.toString(), "--input", goodFile.toString(), "--timeout", "5");
                else fuzz.check(what, "run", add.toString(), "--input", goodFile.toString(), "--input", f.toString(), "-o", dir.resolve("o" + i).toString());
            }
            System.out.println(fuzz.summary("CLI fuzz over hostile .npy inputs"));
            assertThat(fuzz.failureLines()).as(fuzz.summary("failures")).isEmpty();
            assertThat(fuzz.codes.getOrDefault(1, 0)).isGreaterThan(MUTANTS / 2);
        }
    }

    // ==== moe run configs =========================================================================================

    private static final String[] MOE_CASES = {"c00_top_k_standard_k4_e8_n1", "c05_hash_expert_choice_k2_e8_n1", "c12_expert_choice_standard_k1_e8_n1"};

    @Test
    void moeRunWithMutatedConfigs() throws IOException {
        Path moe = ROOT.resolve("dsl/src/test/resources/moe");
        try (CliFuzz fuzz = new CliFuzz()) {
            for (int i = 0; i < MOE_MUTANTS; i++) {
                Random r = new Random(io.hlo4j.mlir.testing.CaseSeeds.of(MOE_SEED, i));
                String c = MOE_CASES[r.nextInt(MOE_CASES.length)];
                Path caseDir = moe.resolve(c);
                JsonMutator.Mutant m = JsonMutator.mutate(Files.readString(caseDir.resolve("config.json")), r);
                Path f = Files.writeString(dir.resolve("config" + i + ".json"), m.text());
                String what = "config mutant " + i + " (" + m.how() + " of " + c + ")";
                if (r.nextInt(4) == 0) fuzz.check(what, "dump", "moe", "--config", f.toString(), "-o", dir.resolve("d" + i + ".mlir").toString());
                else fuzz.check(what, "moe", "run", "--config", f.toString(), "--weights", caseDir.toString(), "--input",
                        caseDir.resolve("x.npy").toString(), "-o", dir.resolve("out" + i).toString());
            }
            System.out.println(fuzz.summary("CLI fuzz over mutated MoE configs"));
            assertThat(fuzz.failureLines()).as(fuzz.summary("failures")).isEmpty();
            assertThat(fuzz.codes.getOrDefault(0, 0)).isGreaterThan(MOE_MUTANTS / 20);
            assertThat(fuzz.codes.getOrDefault(1, 0) + fuzz.codes.getOrDefault(2, 0)).isGreaterThan(MOE_MUTANTS / 4);
        }
    }

    /**
     * Found by this fuzz: run did not verify the module, so a dot_general contracting
     * dimension out of range failed inside the interpreter's kernel (an ArrayIndexOutOfBoundsException in the message)
     * and, with --spmd, inside the partitioner ("internal error"). The verifier names it at its line.
     */
    @Test
    void runVerifiesTheModuleBeforeRunningIt() throws IOException {
        String text = Files.readString(EXAMPLES.resolve("mlp-dp-tp.mlir"));
        List<Path> in = zeroInputs(text, "mlp-dp-tp.mlir");
        for (String dim : List.of("7", "-2147483649")) {
            Path f = Files.writeString(dir.resolve("dim" + dim + ".mlir"), text.replaceFirst("contracting_dims = \\[1\\] x \\[0\\]",
                    "contracting_dims = [1] x [" + dim + "]"));
            for (boolean spmd : List.of(false, true)) {
                List<String> args = new ArrayList<>(List.of("run", f.toString()));
                if (spmd) args.add("--spmd");
                for (Path p : in) args.addAll(List.of("--input", p.toString()));
                Cli.Run r = Cli.run(args.toArray(String[]::new));
                assertThat(r.code()).as(r.toString()).isEqualTo(1);
                assertThat(r.err()).as(r.toString()).hasLineCount(1).startsWith("hlo4j: " + f + ":9:")
                        .contains("rhs batching/contracting dimension").doesNotContain("Exception").doesNotContain("internal error");
            }
        }
    }

    static String ascii(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }

    static byte[] bytes(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    static byte[] cut(byte[] b, int n) { return Arrays.copyOf(b, Math.max(0, Math.min(b.length, n))); }
}
