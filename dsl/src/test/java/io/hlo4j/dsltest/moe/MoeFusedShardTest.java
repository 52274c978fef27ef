package io.hlo4j.dsltest.moe;

import static io.hlo4j.dsltest.moe.MoeLayerFixturesTest.assertRelClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertShard;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeRouter;
import io.hlo4j.dsl.moe.MoeRouting;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The FUSED method as a per-shard function: each shard of the expert axis computes its own experts' rows with its
 * slice of the kernels; the partial outputs summed over the shards (what a psum over the expert axis does) equal
 * the oracle's output. Also: the whole layer is one StableHLO function that prints, parses back and verifies.
 */
class MoeFusedShardTest {
    @ParameterizedTest(name = "{0} over {1} shards")
    @CsvSource({"c02_expert_choice_none_k4_e4_n7, 2", "c17_top_k_ndiv_expert_choice_k2_e8_n7, 4", "c04_top_k_switch_transformer_k1_e4_n15, 4",
            "c18_switch_expert_choice_k4_e8_n512, 2", "worked_example, 2"})
    void partialOutputsOfTheShardsSumToTheOracle(String name, int shards) {
        MoeCase c = MoeCase.load(name);
        MoeConfig cfg = c.config();
        boolean bias = c.inputs().containsKey("wi_bias");
        List<HostArray> args = new ArrayList<>(List.of(c.inputs().get("x"), c.inputs().get("gate"), c.inputs().get("wi"), c.inputs().get("wu"),
                c.inputs().get("wd")));
        if (bias) args.addAll(List.of(c.inputs().get("wi_bias"), c.inputs().get("wu_bias"), c.inputs().get("wd_bias")));
        Jit jit = Jit.jit(a -> {
            Tensor x = (Tensor) a[0];
            long b = x.dim(0), s = x.dim(1), h = x.dim(2), n = b * s;
            Tensor x2 = x.reshape(n, h);
            BaseMoeModule module = new BaseMoeModule(cfg, MoeFusedHooks.none());
            MoeRouting r = MoeRouter.route(cfg, MoeFusedHooks.none(), x2, BaseMoeModule.linearGate((Tensor) a[1]), null, null, s);
            Tensor sum = null;
            int e = cfg.nRoutedExperts(), per = e / shards;
            for (int i = 0; i < shards; i++) {
                long lo = (long) i * per, hi = lo + per;
                ExpertWeights local = new ExpertWeights(slice((Tensor) a[2], lo, hi), slice((Tensor) a[3], lo, hi), slice((Tensor) a[4], lo, hi),
                        bias ? slice((Tensor) a[5], lo, hi) : null, bias ? slice((Tensor) a[6], lo, hi) : null, bias ? slice((Tensor) a[7], lo, hi) : null);
                Tensor part = module.fusedShard(x2, r.experts(), r.weights(), r.weights(), local, BaseMoeModule.activation(cfg, null, null),
                        new ExpertShard(i, shards));
                sum = sum == null ? part : Ops.add(sum, part);
            }
            return List.of(sum.reshape(b, s, h));
        });
        HostArray[] argv = args.toArray(HostArray[]::new);
        HostArray out = jit.lower((Object[]) argv).compile().call(argv).get(0);
        assertRelClose(name + " sum of " + shards + " shards", out, c.expected("output"), 1e-5);
    }

    private static Tensor slice(Tensor t, long lo, long hi) {
        long[] start = new long[t.rank()], limit = t.dims();
        start[0] = lo;
        limit[0] = hi;
        return Ops.slice(t, start, limit);
    }

    @Test
    void aShardWhoseKernelsDoNotMatchItsExpertsIsRefused() {
        MoeCase c = MoeCase.load("worked_example");
        HostArray[] argv = {c.inputs().get("x"), c.inputs().get("wi"), c.inputs().get("wu"), c.inputs().get("wd")};
        Jit jit = Jit.jit(a -> {
            Tensor x = ((Tensor) a[0]).reshape(3, 4);
            Tensor ids = Ops.full(io.hlo4j.dsl.Shape.of(3, 2), 0, io.hlo4j.dsl.DType.I32);
            Tensor w = Ops.full(io.hlo4j.dsl.Shape.of(3, 2), 0.5, io.hlo4j.dsl.DType.F32);
            return new BaseMoeModule(c.config(), null).fusedShard(x, ids, w, w, ExpertWeights.of((Tensor) a[1], (Tensor) a[2], (Tensor) a[3]),
                    BaseMoeModule.activation(c.config(), null, null), new ExpertShard(0, 2));
        });
        assertThatThrownBy(() -> jit.lower((Object[]) argv)).isInstanceOf(MoeException.class)
                .hasMessageContaining("owns 2 experts but its kernels hold 4");
    }

    /** The traced layer of every method is one StableHLO function whose text parses back identically and verifies. */
    @ParameterizedTest
    @CsvSource({"c02_expert_choice_none_k4_e4_n7", "c09_hash_switch_transformer_k4_e16_n15", "worked_example"})
    void theLayerIsOneVerifiedStableHloFunction(String name) {
        MoeCase c = MoeCase.load(name);
        for (MoEMethods m : MoEMethods.values()) {
            Lowered l = c.lower(m, MoeFusedHooks.none());
            String text = l.asText();
            Module back = MlirParser.parseModule(text, name + ".mlir");
            ModuleVerifier.verify(back);
            assertThat(MlirPrinter.print(back)).isEqualTo(text);
            assertThat(text).contains(m == MoEMethods.DENSE_MOE ? "stablehlo.dot_general" : "ragged_dot");
            assertThat(text.split("func.func", -1)).as("one function").hasSize(2);
        }
    }
}
