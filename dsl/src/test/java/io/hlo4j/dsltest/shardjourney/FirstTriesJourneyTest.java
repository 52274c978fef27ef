package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.Sharding;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a JAX user tries in the first hour, each against hand numbers or the one-device run: printing a traced tensor,
 * {@code astype} chains (bf16 rounding to nearest even, float to int truncation), a record as a result pytree
 * (sharded and simulated), {@code value_and_grad} under a sharded jit, and the refusals of the obvious mistakes
 * (in_shardings of the wrong length, a mesh of the wrong size, a constraint outside a sharded jit, Specs passed to
 * callSimulated).
 */
class FirstTriesJourneyTest {
    static final Mesh MESH = mesh();

    record Out(Tensor y, Tensor loss) {}

    @Test
    void printingATracedTensorShowsItsTypeAndNoData() {
        List<String> seen = new ArrayList<>();
        Jit.jit1(x -> {
            seen.add(String.valueOf(x));
            seen.add(x.astype(DType.BF16).toString());
            return x;
        }).lower(Spec.of(DType.F32, 2, 3));
        assertThat(seen).containsExactly("Tensor(f32[2, 3])", "Tensor(bf16[2, 3])");
    }

    @Test
    void astypeChainsRoundAsHandComputed() {
        // bf16 keeps 7 mantissa bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and rounds to even (1); 1 + 3*2^-8 is
        // halfway between 1 + 2^-7 and 1 + 2^-6 and rounds to the even 1 + 2^-6; 1 + 2^-7 is exact; 257 -> 256.
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 6).tensorType(), 1 + Math.pow(2, -8), 1 + 3 * Math.pow(2, -8),
                1 + Math.pow(2, -7), 257, -2.7, 2.7);
        HostArray viaBf16 = Jit.jit1(t -> t.astype(DType.BF16).astype(DType.F32)).call1(x);
        assertThat(viaBf16.toDoubleArray()).containsExactly(1.0, 1 + Math.pow(2, -6), 1 + Math.pow(2, -7), 256.0, -2.703125, 2.703125);
        // f32 -> i32 truncates toward zero (StableHLO convert), back to f32 exactly; f32 -> f64 -> f32 is the identity
        HostArray viaInt = Jit.jit1(t -> t.astype(DType.I32).astype(DType.F32)).call1(x);
        assertThat(viaInt.toDoubleArray()).containsExactly(1.0, 1.0, 1.0, 257.0, -2.0, 2.0);
        HostArray viaF64 = Jit.jit1(t -> t.astype(DType.F64).astype(DType.F32)).call1(x);
        assertThat(viaF64).isEqualTo(x);
        // a bool mask: nonzero is true, back to f32 as 1
        HostArray mask = Jit.jit1(t -> t.astype(DType.BOOL).astype(DType.F32)).call1(HostArray.fromDoubles(Spec.of(DType.F32, 3).tensorType(), 0, -0.5, 3));
        assertThat(mask.toDoubleArray()).containsExactly(0.0, 1.0, 1.0);
    }

    /** The same result with components a host array fits in: what a result record must declare to come back. */
    record HostOut(Object y, Object loss) {}

    @Test
    @SuppressWarnings("unchecked")
    void aRecordResultComesBackAsTheRecordOrIsRefusedByName() {
        Map<String, HostArray> params = params(13, DType.F32);
        HostArray x = input(14, DType.F32);
        Map<String, HostArray> one = (Map<String, HostArray>) Jit.jit("one", FORWARD).call(params, x);
        List<NamedSharding> in = ShardedJit.flat(weightShardings(MESH), batchSharding(MESH));

        // components declared Object: the arrays come back in the record, sharded-simulated and global
        ShardedJit jit = ShardedJit.jit("rec", a -> {
            Tensor y = apply((Map<String, Tensor>) a[0], (Tensor) a[1]);
            return new HostOut(y, y.square().mean());
        }, in);
        HostOut sim = (HostOut) jit.callSimulated(params, x).results();
        assertThat(relErr((HostArray) sim.y(), one.get("out"))).isLessThan(1e-5);
        assertThat(relErr((HostArray) sim.loss(), one.get("loss"))).isLessThan(1e-5);
        HostOut global = (HostOut) jit.call(params, x);
        assertThat(relErr((HostArray) global.y(), one.get("out"))).isLessThan(1e-6);

        // components declared Tensor (the first thing one writes): refused by name, not "argument type mismatch"
        ShardedJit typed = ShardedJit.jit("rec", a -> {
            Tensor y = apply((Map<String, Tensor>) a[0], (Tensor) a[1]);
            return new Out(y, y.square().mean());
        }, in);
        DslException e = assertThrows(DslException.class, () -> typed.callSimulated(params, x));
        assertThat(e.getMessage()).contains("ShardedJit.callSimulated", "record Out", "component y is declared Tensor", "FirstTriesJourneyTest.java:");
        DslException plain = assertThrows(DslException.class, () -> Jit.jit1(t -> new Out(t, t.sum())).call(x));
        assertThat(plain.getMessage()).contains("record Out", "component y is declared Tensor", "FirstTriesJourneyTest.java:");
    }

    @Test
    @SuppressWarnings("unchecked")
    void valueAndGradUnderAShardedJitEqualsOneDevice() {
        Map<String, HostArray> params = params(15, DType.F32);
        HostArray x = input(16, DType.F32);
        List<Object> want = (List<Object>) Jit.jit("vg", Grad.valueAndGrad(LOSS, 0)).call(params, x);
        List<NamedSharding> out = ShardedJit.flat(new NamedSharding(MESH, PartitionSpec.replicated()), weightShardings(MESH));
        List<Object> got = (List<Object>) ShardedJit.jit("vg", Grad.valueAndGrad(LOSS, 0),
                ShardedJit.flat(weightShardings(MESH), batchSharding(MESH)), out).callSimulated(params, x).results();
        assertThat(relErr((HostArray) got.get(0), (HostArray) want.get(0))).as("loss").isLessThan(1e-5);
        Map<String, HostArray> g = (Map<String, HostArray>) got.get(1), w = (Map<String, HostArray>) want.get(1);
        for (String k : w.keySet()) assertThat(relErr(g.get(k), w.get(k))).as("grad %s", k).isLessThan(1e-5);
    }

    /** docs/sharding.md, "Annotated emission", copied verbatim (with DType's F32): it gives the golden module the page shows. */
    @Test
    void theAnnotatedEmissionExampleAsWrittenGivesTheGolden() throws java.io.IOException {
        final DType F32 = DType.F32;
        Mesh m = Mesh.of(4, List.of("dp", "tp"), 2, 2);
        io.hlo4j.dsl.jit.Lowered l = ShardedJit.jit("mlp", a -> {
                Tensor h = io.hlo4j.dsl.Nn.relu(((Tensor) a[0]).matmul((Tensor) a[1]));
                h = Sharding.withShardingConstraint(h, NamedSharding.of(m, "dp", "tp"));
                return h.matmul((Tensor) a[2]);
            }, List.of(NamedSharding.of(m, "dp"), NamedSharding.of(m, null, "tp"), NamedSharding.of(m, "tp", null)),
               List.of(NamedSharding.of(m, "dp", null)))
            .lower(Spec.of(F32, 8, 16), Spec.of(F32, 16, 32), Spec.of(F32, 32, 16));
        String golden = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/io/hlo4j/dsltest/shard/mlp_dp2_tp2.mlir"));
        assertThat(l.asText().strip()).isEqualTo(golden.strip());
    }

    @Test
    void theObviousMistakesAreRefusedByName() {
        // in_shardings for the tree (2 entries) instead of its 9 leaves
        ShardedJit wrong = ShardedJit.jit("block", FORWARD, List.of(batchSharding(MESH), batchSharding(MESH)));
        DslException e = assertThrows(DslException.class, () -> wrong.lower(paramSpecs(DType.F32), xSpec(DType.F32)));
        assertThat(e.getMessage()).contains("9 argument leaves", "2 in_shardings", "FirstTriesJourneyTest.java:");

        DslException mesh = assertThrows(DslException.class, () -> Mesh.of(8, List.of("data", "model"), 2, 2));
        assertThat(mesh.getMessage()).contains("8", "FirstTriesJourneyTest.java:");

        DslException outside = assertThrows(DslException.class, () -> Jit.jit1(t -> Sharding.withShardingConstraint(t, batchSharding(MESH)))
                .lower(Spec.of(DType.F32, 4, 8, 16)));
        assertThat(outside.getMessage()).contains("withShardingConstraint", "ShardedJit", "FirstTriesJourneyTest.java:");

        ShardedJit ok = ShardedJit.jit("f", a -> Ops.exp((Tensor) a[0]), List.of(NamedSharding.of(MESH, "data")));
        DslException specs = assertThrows(DslException.class, () -> ok.callSimulated(Spec.of(DType.F32, 4)));
        assertThat(specs.getMessage()).contains("callSimulated", "Spec", "FirstTriesJourneyTest.java:");
    }
}
