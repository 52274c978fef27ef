package io.hlo4j.gpucheck;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.io.Npy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static io.hlo4j.gpucheck.CheckSupport.oneLine;
import static io.hlo4j.gpucheck.CheckSupport.relErr;

/**
 * The GPU check's xlaspmd stage, hlo4j's side (run by scripts/gpu-check.sh from the bundle):
 * {@code XlaSpmdEmit ROOT OUTDIR [MOCK_PLUGIN]}.
 *
 * Writes a few sharded programs exactly as {@code PjrtBackend} would send them to a plugin for N > 1 partitions:
 * {@code NAME.mlir} (the printed module), {@code NAME.options.pb} (its serialized CompileOptionsProto for devices
 * 0..N-1), seeded inputs {@code NAME.in<i>.npy}, the interpreter's results of the global program
 * {@code NAME.want<i>.npy}, and {@code manifest.json} with each argument's and result's mesh and dimension axes,
 * which bench/xla_spmd.py turns into JAX NamedShardings (so JAX, not hlo4j, splits and places the blocks).
 *
 * Also checks here, one line each: hlo4j's own partitioner on simulated devices ({@code run --spmd}) against the
 * global program, and, with MOCK_PLUGIN, the programs the mock can run through hlo4j's PJRT binding with N devices
 * (global arrays split and assembled by hlo4j). Ends {@code XLASPMD EMIT OK} or {@code XLASPMD EMIT FAILED: n};
 * exit 0/1.
 */
public final class XlaSpmdEmit {
    static final double TOL = 1e-4;   // f32, sums in another order

    record Program(String name, Module module, HostArray[] inputs, boolean mockRuns, String what) {}

    /** Builds one program (reads a file, traces, lowers): a failure costs that program only. */
    interface Maker { Program make() throws Exception; }

    record Named(String name, Maker maker) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: XlaSpmdEmit ROOT OUTDIR [MOCK_PLUGIN]");
            System.exit(2);
        }
        System.exit(emitAll(Path.of(args[0]), Path.of(args[1]), args.length > 2 ? args[2] : null));
    }

    /** Emits and checks every program, one line each, then the manifest and the summary line (in every case). */
    static int emitAll(Path root, Path dir, String mock) {
        int failures = 0;
        List<Map<String, Object>> manifest = new ArrayList<>();
        try {
            Files.createDirectories(dir);
        } catch (Exception e) {
            System.out.println("XLASPMD EMIT FAILED: cannot create " + dir + " (" + oneLine(e) + ")");
            return 1;
        }
        for (Named n : programs(root)) {
            try {
                Program p = n.maker().make();
                Map<String, Object> entry = emit(p, dir);
                manifest.add(entry);
                failures += checkSpmd(p, dir, Boolean.TRUE.equals(entry.get("global_run_partitioned")));
                failures += checkByHand(p, dir);
                if (mock != null) failures += checkMock(p, dir, mock);
            } catch (Exception | Error e) {
                System.out.println("emit " + n.name() + ": FAILED " + oneLine(e));
                failures++;
            }
        }
        try {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            json.writeValue(dir.resolve("manifest.json").toFile(), Map.of("programs", manifest));
            System.out.println("wrote " + manifest.size() + " programs to " + dir);
        } catch (Exception e) {
            System.out.println("manifest: FAILED " + oneLine(e));
            failures++;
        }
        System.out.println(failures == 0 ? "XLASPMD EMIT OK" : "XLASPMD EMIT FAILED: " + failures);
        return failures == 0 ? 0 : 1;
    }

    /** The programs, each built when asked, its inputs from its own seed (a failure to build costs that program only). */
    static List<Named> programs(Path root) {
        List<Named> ps = new ArrayList<>();
        ps.add(new Named("global-dot", () -> {
            Random r = new Random(5);
            return new Program("global-dot", MlirParser.parseModule(Files.readString(root.resolve("docs/examples/global-dot.mlir")),
                    "docs/examples/global-dot.mlir"), new HostArray[] {CheckSupport.random(r, 1, 4, 3), CheckSupport.random(r, 1, 3, 4)}, true,
                    "docs/examples/global-dot.mlir, 2x2 mesh");
        }));
        ps.add(new Named("mlp-dp-tp", () -> {
            Random r = new Random(6);
            return new Program("mlp-dp-tp", MlirParser.parseModule(Files.readString(root.resolve("docs/examples/mlp-dp-tp.mlir")),
                    "docs/examples/mlp-dp-tp.mlir"), new HostArray[] {CheckSupport.random(r, 1, 8, 16), CheckSupport.random(r, 0.25, 16, 32), CheckSupport.random(r, 0.2, 32, 8)},
                    false, "docs/examples/mlp-dp-tp.mlir, 2x2 mesh");
        }));

        // The MoE layer (FUSED, top-2 of 4 experts, SiLU) on an 8-device dp x ep x tp mesh: tokens over dp, experts over
        // ep, the intermediate dimension over tp; the gate replicated; the output split as x.
        MoeConfig cfg = MoeConfig.of(4, 2, 32, 64);
        ps.add(new Named("moe-layer", () -> {
            Mesh m8 = Mesh.of(List.of("dp", "ep", "tp"), 2, 2, 2);
            HostArray[] moeArgs = moeArgs();
            List<NamedSharding> moeIn = List.of(NamedSharding.of(m8, "dp", null, null), NamedSharding.of(m8, null, null),
                    NamedSharding.of(m8, "ep", null, "tp"), NamedSharding.of(m8, "ep", null, "tp"), NamedSharding.of(m8, "ep", "tp", null));
            return new Program("moe-layer", ShardedJit.jit("main", a -> layer(cfg, a), moeIn, List.of(NamedSharding.of(m8, "dp", null, null)))
                    .lower((Object[]) moeArgs).module(), moeArgs, false, "the MoE layer by ShardedJit, mesh dp=2 ep=2 tp=2");
        }));

        // Its value and gradients w.r.t. every argument on a 4-device ep x tp mesh, each gradient sharded as its argument.
        ps.add(new Named("moe-grad", () -> {
            Mesh m4 = Mesh.of(List.of("ep", "tp"), 2, 2);
            HostArray[] moeArgs = moeArgs();
            List<NamedSharding> gIn = List.of(NamedSharding.of(m4, null, null, null), NamedSharding.of(m4, null, null),
                    NamedSharding.of(m4, "ep", null, "tp"), NamedSharding.of(m4, "ep", null, "tp"), NamedSharding.of(m4, "ep", "tp", null));
            List<NamedSharding> gOut = new ArrayList<>();
            gOut.add(NamedSharding.of(m4));
            gOut.addAll(gIn);
            TracedFunction step = Grad.valueAndGrad(a -> {
                Tensor y = layer(cfg, a);
                return Reductions.sum(Ops.mul(y, y), 0, 1, 2);
            }, 0, 1, 2, 3, 4);
            return new Program("moe-grad", ShardedJit.jit("main", step, gIn, gOut).lower((Object[]) moeArgs).module(), moeArgs, false,
                    "value_and_grad of sum(y*y) for the MoE layer by ShardedJit, mesh ep=2 tp=2");
        }));

        // A shard_map: each of 4 devices sums its 2 rows, psum over x, the replicated [1, 4] result.
        ps.add(new Named("shard-map-psum", () -> {
            Mesh m4x = Mesh.of(List.of("x"), 4);
            HostArray[] smArgs = {CheckSupport.random(new Random(8), 1, 8, 4)};
            return new Program("shard-map-psum", ShardedJit.jit("main",
                    a -> ShardMap.shardMap(m4x, PartitionSpec.of("x", null), PartitionSpec.of(null, null),
                            t -> Collectives.psum(Reductions.sum(t, 0).reshape(1, 4), "x"), (Tensor) a[0]),
                    List.of(NamedSharding.of(m4x, "x", null)), List.of(NamedSharding.of(m4x, null, null))).lower((Object[]) smArgs).module(),
                    smArgs, false, "a shard_map with psum by ShardedJit, mesh x=4");
        }));
        return ps;
    }

    /** The MoE programs' arguments x [2, 8, 32], gate [32, 4], wi and wu [4, 32, 64], wd [4, 64, 32] (seed 7). */
    static HostArray[] moeArgs() {
        Random r = new Random(7);
        return new HostArray[] {CheckSupport.random(r, 1, 2, 8, 32), CheckSupport.random(r, 1 / Math.sqrt(32), 32, 4), CheckSupport.random(r, 1 / Math.sqrt(32), 4, 32, 64),
                CheckSupport.random(r, 1 / Math.sqrt(32), 4, 32, 64), CheckSupport.random(r, 1 / Math.sqrt(64), 4, 64, 32)};
    }

    static Tensor layer(MoeConfig cfg, Object[] a) {
        return new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output();
    }


    /** Writes the program, its options, inputs and the interpreter's global results; returns its manifest entry. */
    static Map<String, Object> emit(Program p, Path dir) throws Exception {
        Module module = p.module();
        Operation entry = module.entryFunction();
        FunctionType sig = FuncOps.signature(entry);
        int n = PjrtBackend.partitions(module);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        Files.writeString(dir.resolve(p.name() + ".mlir"), MlirPrinter.print(module));
        Files.write(dir.resolve(p.name() + ".options.pb"), PjrtBackend.spmdOptions(entry, sig, ids).toBytes());
        List<String> cmd = new ArrayList<>(List.of("run", dir.resolve(p.name() + ".mlir").toString()));
        List<Map<String, Object>> ins = new ArrayList<>(), outs = new ArrayList<>();
        Map<String, MeshAttr> meshes = SdyVerifier.meshesOf(module.op());
        for (int i = 0; i < p.inputs().length; i++) {
            Path f = dir.resolve(p.name() + ".in" + i + ".npy");
            Npy.write(f, p.inputs()[i]);
            cmd.addAll(List.of("--input", f.toString()));
            ins.add(placed(f.getFileName().toString(), FuncOps.argAttrs(entry, i), meshes));
        }
        Path global = dir.resolve(p.name() + ".global");
        cmd.addAll(List.of("-o", global.toString()));
        CheckSupport.CliRun globalRun = CheckSupport.cli(cmd.toArray(String[]::new));
        if (!globalRun.ok()) throw new IllegalStateException(p.name() + " on the interpreter (global program): " + globalRun.error());
        for (int j = 0; j < sig.results().size(); j++) {
            Path f = dir.resolve(p.name() + ".want" + j + ".npy");
            Files.move(global.resolve("result" + j + ".npy"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            outs.add(placed(f.getFileName().toString(), FuncOps.resultAttrs(entry, j), meshes));
        }
        Files.deleteIfExists(global);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", p.name());
        e.put("what", p.what());
        e.put("mlir", p.name() + ".mlir");
        e.put("options", p.name() + ".options.pb");
        e.put("partitions", n);
        e.put("device_ids", ids);
        e.put("inputs", ins);
        e.put("outputs", outs);
        // run partitions a module holding sdy.manual_computation by itself (it says so): then the "global" results
        // come from hlo4j's partitioner too.
        e.put("global_run_partitioned", globalRun.out().contains("holds sdy.manual_computation"));
        System.out.printf(Locale.ROOT, "emit %s (%s): %d partitions, %d inputs, %d results, %d bytes of StableHLO%n", p.name(), p.what(), n,
                ins.size(), outs.size(), Files.size(dir.resolve(p.name() + ".mlir")));
        return e;
    }

    /** The mesh (axes, device_ids) and per-dimension axes of one argument or result; "refused" when JAX's spec cannot say it. */
    static Map<String, Object> placed(String file, DictionaryAttr attrs, Map<String, MeshAttr> meshes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        if (attrs == null || !(attrs.get("sdy.sharding") instanceof TensorSharding s)) {
            m.put("refused", "no sdy.sharding");
            return m;
        }
        MeshAttr mesh = s.resolveMesh(meshes);
        List<List<Object>> axes = new ArrayList<>();
        for (MeshAttr.Axis a : mesh.axes()) axes.add(List.of(a.name(), a.size()));
        m.put("mesh", axes);
        m.put("mesh_device_ids", mesh.deviceIds());
        List<List<String>> dims = new ArrayList<>();
        for (int d = 0; d < s.rank(); d++) {
            List<String> names = new ArrayList<>();
            for (AxisRef a : s.axesOfDim(d)) {
                if (a.isSubAxis()) m.put("refused", "sub-axis " + a + " (no PartitionSpec form)");
                names.add(a.name());
            }
            dims.add(names);
        }
        m.put("dims", dims);
        if (!s.unreducedAxes().isEmpty()) m.put("refused", "unreduced axes " + s.unreducedAxes());
        m.put("sharding", s.toString());
        return m;
    }

    /**
     * The two programs whose results are one loop away, computed here by hand: global-dot's product and shard-map-psum's
     * column sums (its "global" run goes through hlo4j's partitioner too, since a shard_map only runs partitioned).
     */
    static int checkByHand(Program p, Path dir) throws Exception {
        double[] want;
        HostArray got = Npy.read(dir.resolve(p.name() + ".want0.npy"));
        if (p.name().equals("global-dot")) {
            double[] a = p.inputs()[0].toDoubleArray(), b = p.inputs()[1].toDoubleArray();
            want = new double[16];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 3; k++) want[i * 4 + j] += a[i * 3 + k] * b[k * 4 + j];
        } else if (p.name().equals("shard-map-psum")) {
            double[] x = p.inputs()[0].toDoubleArray();
            want = new double[4];
            for (int i = 0; i < 8; i++) for (int j = 0; j < 4; j++) want[j] += x[i * 4 + j];
        } else {
            return 0;
        }
        double err = relErr(got, HostArray.fromDoubles(got.type(), want));
        boolean ok = err <= TOL;
        String how = p.name().equals("shard-map-psum") ? "hlo4j's partitioned run (run partitions a shard_map by itself)" : "interpreter";
        System.out.printf(Locale.ROOT, "check %s %s vs loops here: max rel err %.2e -> %s (tol %.0e)%n", p.name(), how, err, ok ? "ok" : "FAIL", TOL);
        return ok ? 0 : 1;
    }

    /** hlo4j's partitioner on simulated devices against the global program: every result within TOL. */
    static int checkSpmd(Program p, Path dir, boolean globalRunPartitioned) throws Exception {
        if (globalRunPartitioned) {   // --spmd would run the same partitioned program again: a comparison that cannot fail
            System.out.println("check " + p.name() + " hlo4j spmd: not compared (a shard_map is partitioned by run without --spmd, so its"
                    + " global results already come from hlo4j's partitioner; see the check by hand and XLA's run)");
            return 0;
        }
        return compare(p, dir, "hlo4j spmd (" + PjrtBackend.partitions(p.module()) + " simulated devices)", "--spmd");
    }

    static int checkMock(Program p, Path dir, String mock) throws Exception {
        if (!p.mockRuns()) return 0;   // the mock runs only a single add or dot_general
        int n = PjrtBackend.partitions(p.module());
        return compare(p, dir, "hlo4j PJRT binding on the mock plugin (" + n + " devices)", "--pjrt-plugin", mock, "--pjrt-option",
                "num_devices=" + n);
    }

    static int compare(Program p, Path dir, String how, String... flags) throws Exception {
        Path out = Files.createTempDirectory(dir, p.name() + ".check");
        List<String> cmd = new ArrayList<>(List.of("run", dir.resolve(p.name() + ".mlir").toString()));
        for (int i = 0; i < p.inputs().length; i++) cmd.addAll(List.of("--input", dir.resolve(p.name() + ".in" + i + ".npy").toString()));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-o", out.toString()));
        CheckSupport.CliRun run = CheckSupport.cli(cmd.toArray(String[]::new));
        if (!run.ok()) {
            System.out.println("check " + p.name() + " " + how + ": REFUSED " + run.error());
            return 1;
        }
        double worst = 0;
        int results = p.module().entryFunction() == null ? 0 : FuncOps.signature(p.module().entryFunction()).results().size();
        for (int j = 0; j < results; j++) {
            worst = Math.max(worst, relErr(Npy.read(out.resolve("result" + j + ".npy")), Npy.read(dir.resolve(p.name() + ".want" + j + ".npy"))));
            Files.delete(out.resolve("result" + j + ".npy"));
        }
        Files.delete(out);
        boolean ok = worst <= TOL;
        System.out.printf(Locale.ROOT, "check %s %s vs the global program: max rel err %.2e -> %s (tol %.0e)%n", p.name(), how, worst,
                ok ? "ok" : "FAIL", TOL);
        return ok ? 0 : 1;
    }
}
