package io.hlo4j.dsltest.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionReport;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeSpecs;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The STANDARD MoE layer as {@code hlo4j dump moe --emit annotated} builds it (x split on its batch over (dp, fsdp) and
 * its sequence over sp, expert kernels placed by {@link MoeSpecs}), partitioned by hlo4j's own pipeline
 * ({@link Spmd#explicit}: propagation, then the partitioner) and run on simulated devices by {@link SpmdRunner},
 * against the unpartitioned program on the interpreter: the layer's output and router logits, and the gradients of
 * sum(output^2) with respect to every input. Every factorisation of 8 devices over (dp, fsdp, ep, tp, sp) is run
 * (the shapes are chosen so that every one divides them), plus a sample of 16-device meshes.
 */
class StandardMoePartitionTest {
    static final List<String> AXES = List.of("dp", "fsdp", "ep", "tp", "sp");
    /** x [B, S, H]; experts E with intermediate M; top-2. B*S tokens; B and S take up to 8 shards, E up to 8, M up to 16. */
    static final int B = 8, S = 8, H = 16, E = 8, M = 16, TOP_K = 2;
    static final double TOL = 1e-5;
    static final MoeConfig CFG = MoeConfig.of(E, TOP_K, H, M).withMoeMethod(MoEMethods.STANDARD_MOE);

    /** Every (dp, fsdp, ep, tp, sp) of powers of two whose product is 8: 35 meshes. */
    static Stream<int[]> meshesOf8() {
        List<int[]> out = new ArrayList<>();
        int[] p = {1, 2, 4, 8};
        for (int a : p) for (int b : p) for (int c : p) for (int d : p) for (int e : p) {
            if (a * b * c * d * e == 8) out.add(new int[] {a, b, c, d, e});
        }
        return out.stream();
    }

    /** A sample of 16-device meshes that the shapes divide: every axis used, and the extremes of each. */
    static Stream<int[]> meshesOf16() {
        return Stream.of(new int[] {2, 2, 2, 2, 1}, new int[] {1, 2, 2, 2, 2}, new int[] {2, 1, 2, 2, 2}, new int[] {2, 2, 1, 2, 2},
                new int[] {2, 2, 2, 1, 2}, new int[] {1, 1, 8, 2, 1}, new int[] {1, 1, 1, 16, 1}, new int[] {4, 2, 1, 1, 2},
                new int[] {1, 1, 2, 1, 8}, new int[] {8, 1, 2, 1, 1});
    }

    static Mesh mesh(int[] f) { return Mesh.of(AXES, f); }

    /** The layer as DumpModel traces it, on the STANDARD method: (x, gate, wi, wu, wd) -> (output, router logits). */
    static TracedFunction layer() {
        return a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], null, null, null);
            MoeOutput o = new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                    w, null, null, null, false, 0, null);
            return List.of(o.output(), o.routerLogits());
        };
    }

    /** (x, gate, wi, wu, wd) -> (sum(output^2), d/dx, d/dgate, d/dwi, d/dwu, d/dwd). */
    static TracedFunction gradients() {
        TracedFunction loss = a -> {
            Tensor y = (Tensor) ((List<?>) layer().apply(a)).get(0);
            return Reductions.sum(y.square());
        };
        TracedFunction vg = Grad.valueAndGrad(loss, 0, 1, 2, 3, 4);
        return a -> {
            List<?> r = (List<?>) vg.apply(a);
            List<Object> out = new ArrayList<>();
            out.add(r.get(0));
            out.addAll((List<?>) r.get(1));
            return out;
        };
    }

    static Object[] specs() {
        return new Object[] {Spec.of(DType.F32, B, S, H), Spec.of(DType.F32, H, E), Spec.of(DType.F32, E, H, M), Spec.of(DType.F32, E, H, M),
                Spec.of(DType.F32, E, M, H)};
    }

    /** The in_shardings of `dump moe --emit annotated`, the expert kernels' from MoeSpecs. */
    static List<NamedSharding> inShardings(Mesh m) {
        NamedSharding col = new NamedSharding(m, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, false));
        NamedSharding row = new NamedSharding(m, MoeSpecs.getMoeSpec(MoeSpecs.Direction.ROW, false, false));
        return Arrays.asList(new NamedSharding(m, PartitionSpec.of(new String[] {"dp", "fsdp"}, "sp", null)), null, col, col, row);
    }

    static List<HostArray> inputs() {
        Random r = new Random(20261128);
        return List.of(f32(r, 1.0, B, S, H), f32(r, 0.5, H, E), f32(r, 0.3, E, H, M), f32(r, 0.3, E, H, M), f32(r, 0.3, E, M, H));
    }

    static HostArray f32(Random r, double scale, long... shape) {
        TensorType t = TensorType.of(FloatType.F32, shape);
        double[] v = new double[Math.toIntExact(t.numElements())];
        for (int i = 0; i < v.length; i++) v[i] = (r.nextDouble() * 2 - 1) * scale;
        return HostArray.fromDoubles(t, v);
    }

    /** The unpartitioned program on the interpreter. */
    static List<HostArray> reference(TracedFunction fn) {
        return Jit.jit("moe", fn).lower(specs()).compile().call(inputs().toArray(HostArray[]::new));
    }

    private static List<HostArray> standardRef, gradRef;

    static synchronized List<HostArray> standardReference() {
        if (standardRef == null) standardRef = reference(layer());
        return standardRef;
    }

    static synchronized List<HostArray> gradientReference() {
        if (gradRef == null) gradRef = reference(gradients());
        return gradRef;
    }

    /** The annotated module, partitioned by Spmd.explicit and run on the mesh's simulated devices. */
    record Partitioned(PartitionedProgram program, SpmdRun run) {}

    static Partitioned partitioned(TracedFunction fn, int[] f, int results) {
        Mesh m = mesh(f);
        Module annotated = ShardedJit.jit("moe", fn, inShardings(m), Collections.nCopies(results, null)).lower(specs()).module();
        PartitionedProgram p = Spmd.explicit(annotated);
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), inputs(), p.argShardings(), p.resultShardings(), p.resultTypes());
        return new Partitioned(p, run);
    }

    /** max |got - want| / max |want| over the whole array. */
    static double relErr(HostArray got, HostArray want) {
        assertThat(got.type()).isEqualTo(want.type());
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double diff = 0, scale = 0;
        for (int i = 0; i < w.length; i++) {
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    static void assertEquivalent(String what, List<HostArray> got, List<HostArray> want, List<String> names) {
        assertThat(got).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            assertThat(Arrays.stream(want.get(i).toDoubleArray()).map(Math::abs).max().orElse(0)).as("%s %s is not all zero", what, names.get(i))
                    .isGreaterThan(0);
            double e = relErr(got.get(i), want.get(i));
            assertThat(e).as("%s %s: relative error", what, names.get(i)).isLessThanOrEqualTo(TOL);
        }
    }

    static final List<String> OUTS = List.of("output", "router logits");
    static final List<String> GRADS = List.of("loss", "d/dx", "d/dgate", "d/dwi", "d/dwu", "d/dwd");

    @ParameterizedTest(name = "dp,fsdp,ep,tp,sp = {0}")
    @MethodSource("meshesOf8")
    void outputsEqualTheUnpartitionedProgramOn8Devices(int[] f) {
        assertEquivalent(Arrays.toString(f), partitioned(layer(), f, 2).run().results(), standardReference(), OUTS);
    }

    @ParameterizedTest(name = "dp,fsdp,ep,tp,sp = {0}")
    @MethodSource("meshesOf16")
    void outputsEqualTheUnpartitionedProgramOn16Devices(int[] f) {
        assertEquivalent(Arrays.toString(f), partitioned(layer(), f, 2).run().results(), standardReference(), OUTS);
    }

    @ParameterizedTest(name = "dp,fsdp,ep,tp,sp = {0}")
    @MethodSource("meshesOf8")
    void gradientsEqualTheUnpartitionedProgramOn8Devices(int[] f) {
        assertEquivalent(Arrays.toString(f) + " gradients", partitioned(gradients(), f, 6).run().results(), gradientReference(), GRADS);
    }

    @ParameterizedTest(name = "dp,fsdp,ep,tp,sp = {0}")
    @MethodSource("meshesOf16")
    void gradientsEqualTheUnpartitionedProgramOn16Devices(int[] f) {
        assertEquivalent(Arrays.toString(f) + " gradients", partitioned(gradients(), f, 6).run().results(), gradientReference(), GRADS);
    }

    /**
     * On ep=8 each device keeps its one expert: nothing is computed replicated, no kernel is gathered (the only
     * collectives are the three all-reduces over ep that finish the grouped matmuls), and each ragged_dot multiplies
     * by a zero group and the device's own expert (2 groups of [16, 16]).
     */
    @Test
    void raggedDotIsSplitOverTheExpertAxis() {
        Partitioned p = partitioned(layer(), new int[] {1, 1, 8, 1, 1}, 2);
        assertThat(p.program().report().entries()).isEmpty();
        assertThat(p.run().log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.all_reduce", "stablehlo.all_reduce",
                "stablehlo.all_reduce");
        assertThat(p.run().log()).allSatisfy(r -> assertThat(r.axes()).containsExactly("ep"));
        List<String> dots = io.hlo4j.mlir.print.MlirPrinter.print(p.program().module()).lines().filter(l -> l.contains("chlo.ragged_dot")).toList();
        assertThat(dots).hasSize(3).allSatisfy(l -> assertThat(l).contains("tensor<2x16x16xf32>, tensor<2xi32>"));
    }

    /**
     * Prints, per mesh, what the partitioner computed replicated and the bytes the collectives moved (the table in
     * docs/sharding-moe-standard.md); asserts only that the run equals the reference. Run with
     * {@code -Dhlo4j.spmdMoe.print=true} to see it.
     */
    @Test
    void reportPerMesh() {
        if (!Boolean.getBoolean("hlo4j.spmdMoe.print")) return;
        StringBuilder sb = new StringBuilder();
        for (int[] f : Stream.concat(meshesOf8(), meshesOf16()).toList()) {
            for (boolean grad : new boolean[] {false, true}) {
                Partitioned p = partitioned(grad ? gradients() : layer(), f, grad ? 6 : 2);
                assertEquivalent(Arrays.toString(f), p.run().results(), grad ? gradientReference() : standardReference(), grad ? GRADS : OUTS);
                int n = p.program().devices();
                Map<String, long[]> byOp = new TreeMap<>();
                for (CollectiveRecord r : p.run().log()) {
                    long[] acc = byOp.computeIfAbsent(r.op().replace("stablehlo.", "") + r.axes(), k -> new long[2]);
                    acc[0]++;
                    acc[1] += r.maxBytesReceived();
                }
                Map<String, Integer> repl = new TreeMap<>(), less = new TreeMap<>();
                for (PartitionReport.Entry e : p.program().report().entries()) {
                    (e.kind() == PartitionReport.Kind.COMPUTED_REPLICATED ? repl : less).merge(e.op().replace("stablehlo.", ""), 1, Integer::sum);
                    if (e.kind() != PartitionReport.Kind.COMPUTED_REPLICATED) System.out.println("# " + Arrays.toString(f) + " " + e);
                }
                sb.append(String.format("| %s | %s | %d | %s | %s | %s |%n", String.join(",", Arrays.stream(f).mapToObj(String::valueOf).toList()),
                        grad ? "grad" : "fwd", p.run().maxBytesReceived(n), repl.isEmpty() ? "-" : repl.toString().replaceAll("[{}]", ""),
                        less.isEmpty() ? "-" : less.toString().replaceAll("[{}]", ""),
                        byOp.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()[0] + " " + e.getValue()[1] + "B").toList()));
            }
        }
        System.out.print(sb);
    }
}
