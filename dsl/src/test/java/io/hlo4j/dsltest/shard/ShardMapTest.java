package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.shard.Collectives;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.testing.ReferenceShardMap;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardMapTest {
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    static Tensor t(Object o) { return (Tensor) o; }

    static Lowered a2a() {
        Mesh m = Mesh.of(2, List.of("x"), 2);
        return ShardedJit.jit("a2a", a -> ShardMap.shardMap(m, PartitionSpec.of("x", null), PartitionSpec.of(null, "x"),
                        b -> Collectives.allToAll(b, 1, 0, "x"), t(a[0])),
                List.of(NamedSharding.of(m, "x", null)), List.of(NamedSharding.of(m, null, "x"))).lower(Spec.of(DType.F32, 4, 2));
    }

    /** The Shardy form of stablehlo-and-shardy.md section 4f, character for character (signature on one line). */
    @Test
    void reproducesTheReferenceAllToAllModule() {
        String expected = ReferenceShardMap.ALL_TO_ALL;
        assertThat(a2a().asText()).isEqualTo(expected);
    }

    /**
     * On the 5D mesh, collectives over several axes get pxla.axis_groups' groups (hand-computed for
     * dp=1, fsdp=1, ep=2, tp=2, sp=2: device = 4*ep + 2*tp + sp), and the module verifies and passes mlir-opt.
     */
    @Test
    void collectivesOnTheModelMesh() throws Exception {
        Mesh model = ExpertMeshView.modelMesh(1, 1, 2, 2, 2);
        NamedSharding in = NamedSharding.of(model, new String[] {"ep", "sp"}, "tp");
        Lowered l = ShardedJit.jit("collectives", a -> ShardMap.shardMap(model, PartitionSpec.of(new String[] {"ep", "sp"}, "tp"),
                PartitionSpec.of(null, "tp"), b -> {
                    Tensor g = Collectives.allGather(b, 0, "ep", "sp");          // [8, 2]
                    Tensor s = Collectives.psum(g, "tp");
                    Tensor r = Collectives.psumScatter(s, 1, "tp");            // [8, 1]
                    return Collectives.allToAll(r, 0, 0, "ep", "sp");          // [8, 1]
                }, t(a[0])), List.of(in), List.of(NamedSharding.of(model, null, "tp"))).lower(Spec.of(DType.F32, 8, 4));
        String text = l.asText();
        assertThat(text).contains("all_gather_dim = 0 : i64, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, "
                        + "replica_groups = dense<[[0, 1, 4, 5], [2, 3, 6, 7]]> : tensor<2x4xi64>, use_global_device_ids}> : (tensor<2x2xf32>) -> tensor<8x2xf32>")
                .contains("replica_groups = dense<[[0, 2], [1, 3], [4, 6], [5, 7]]> : tensor<4x2xi64>, use_global_device_ids}>")
                .contains("\"stablehlo.reduce_scatter\"")
                .contains("split_count = 4 : i64")
                .contains("manual_axes={\"dp\", \"fsdp\", \"ep\", \"tp\", \"sp\"} (%arg1: tensor<2x2xf32>)");
        Module m = MlirParser.parseModule(text, "collectives.mlir");
        ModuleVerifier.verify(m);
        SdyVerifier.verifyShardingAnnotations(m.op());
        assertThat(MlirPrinter.print(m)).isEqualTo(text);
        Path mlirOpt = io.hlo4j.mlir.print.MlirOpt.find();
        if (mlirOpt == null) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(io.hlo4j.mlir.print.MlirOpt.NOT_FOUND);
            Assumptions.abort(io.hlo4j.mlir.print.MlirOpt.NOT_FOUND);
        }
        for (Lowered each : List.of(l, a2a(), permuteAndIndex())) {
            String generic = MlirPrinter.print(each.module(), PrintOptions.GENERIC);
            Path f = Files.createTempFile("hlo4j-shardmap", ".mlir");
            Files.writeString(f, generic);
            Process p = new ProcessBuilder(mlirOpt.toString(), "--allow-unregistered-dialect", "--mlir-print-op-generic", f.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out.strip()).isEqualTo(generic.strip());
            Files.delete(f);
        }
    }

    static Lowered permuteAndIndex() {
        Mesh m = Mesh.of(List.of("a", "b"), 2, 3);
        NamedSharding rep = NamedSharding.of(m);
        return ShardedJit.jit("perm", x -> ShardMap.shardMap(m, PartitionSpec.of("b"), PartitionSpec.of("b"), b -> {
            Tensor shifted = Collectives.ppermute(b, "b", new int[][] {{0, 1}, {1, 2}, {2, 0}});
            return shifted.add(Collectives.axisIndex("a").astype(DType.F32));
        }, t(x[0])), List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 6));
    }

    /**
     * ppermute pairs are device ids group by group (groups over b on a=2, b=3: [0,1,2], [3,4,5]); axisIndex
     * is partition_id / stride % size (stride of a is 3).
     */
    @Test
    void ppermuteAndAxisIndex() {
        String text = permuteAndIndex().asText();
        assertThat(text).contains("source_target_pairs = dense<[[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3]]> : tensor<6x2xi64>")
                .contains("stablehlo.partition_id : tensor<ui32>")
                .contains("stablehlo.constant dense<3> : tensor<ui32>")
                .contains("stablehlo.constant dense<2> : tensor<ui32>")
                .contains("stablehlo.divide").contains("stablehlo.remainder")
                .contains("stablehlo.convert");
        Module mod = MlirParser.parseModule(text, "perm.mlir");
        ModuleVerifier.verify(mod);
        assertThat(MlirPrinter.print(mod)).isEqualTo(text);
        Mesh p = Mesh.withDeviceIds(List.of("x"), new int[] {2}, new int[] {1, 0});
        NamedSharding rep = NamedSharding.of(p);
        assertThatThrownBy(() -> ShardedJit.jit(x -> ShardMap.shardMap(p, PartitionSpec.of(), PartitionSpec.of(),
                b -> Collectives.axisIndex("x").astype(DType.F32), t(x[0])), List.of(rep), List.of(rep)).lower(Spec.of(DType.F32)))
                .hasMessageContaining("axisIndex: mesh @mesh [\"x\"=2] device_ids=[1, 0] has a non-iota device order");
        Mesh m = Mesh.of(List.of("x"), 3);
        NamedSharding r3 = NamedSharding.of(m);
        assertThatThrownBy(() -> ShardedJit.jit(x -> ShardMap.shardMap(m, PartitionSpec.of(), PartitionSpec.of(),
                b -> Collectives.ppermute(b, "x", new int[][] {{0, 1}, {2, 1}}), t(x[0])), List.of(r3), List.of(r3)).lower(Spec.of(DType.F32, 2)))
                .hasMessageContaining("ppermute: perm repeats a source or a target: [[0, 1], [2, 1]]");
    }

    @Test
    void refusals() {
        Mesh m = Mesh.of(List.of("x", "y"), 2, 3);
        NamedSharding rep = NamedSharding.of(m);
        int[] at = new int[3];
        assertThatThrownBy(() -> ShardedJit.jit(a -> { at[0] = line(); return ShardMap.shardMap(m, PartitionSpec.of(null, "y"), PartitionSpec.of(),
                        b -> b, t(a[0])); }, List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4, 4)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("shard_map argument #0 (f32[4, 4]) dimension 1 of size 4 is not divisible by mesh axes (y=3) with 3 shards")
                .hasMessageContaining("ShardMapTest.java:" + at[0]);
        assertThatThrownBy(() -> ShardedJit.jit(a -> { at[1] = line(); return ShardMap.shardMap(m, List.of(PartitionSpec.of("x")),
                        List.of(PartitionSpec.of("x"), PartitionSpec.of()), b -> b, t(a[0])); }, List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("shardMap: the body returned 1 tensors but 2 out_specs [P(x), P()] were given")
                .hasMessageContaining("ShardMapTest.java:" + at[1]);
        assertThatThrownBy(() -> ShardedJit.jit(a -> ShardMap.shardMap(m, List.of(), List.of(), b -> b, t(a[0])), List.of(rep), List.of(rep))
                .lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("shardMap: got 1 arguments but 0 in_specs []");
        assertThatThrownBy(() -> ShardedJit.jit(a -> ShardMap.shardMap(m, PartitionSpec.of("z"), PartitionSpec.of(), b -> b, t(a[0])),
                List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("names unknown mesh axis \"z\" (mesh axes [x, y])");
        assertThatThrownBy(() -> ShardedJit.jit(a -> ShardMap.shardMap(m, PartitionSpec.of("x"), PartitionSpec.of("x"),
                        b -> { at[2] = line(); return Collectives.psum(b, "w"); }, t(a[0])), List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("psum: unknown mesh axis \"w\" (mesh @mesh axes [x, y])")
                .hasMessageContaining("ShardMapTest.java:" + at[2]);
        // a tensor of the enclosing function that the body returns as it is (no op in the body) is not the body's
        assertThatThrownBy(() -> ShardedJit.jit(a -> ShardMap.shardMap(m, PartitionSpec.of(), PartitionSpec.of(),
                b -> t(a[0]), t(a[0])), List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("shardMap: the body returned result #0 f32[4] from outside the body");
        assertThatThrownBy(() -> ShardedJit.jit(a -> Collectives.psum(t(a[0]), "x"), List.of(rep), List.of(rep)).lower(Spec.of(DType.F32, 4)))
                .hasMessageContaining("psum: collectives need a shardMap body");
    }
}
