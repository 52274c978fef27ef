package io.hlo4j.dsltest.userjourney;

import static io.hlo4j.dsltest.userjourney.TinyMoeBlock.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.nn.Mlp;
import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Mistakes a newcomer makes on the first day, and what the error says: each names the op, the values involved and the
 * user's line (before these were fixed: Params.get threw an IllegalArgumentException without a line, jit2 called with
 * one argument threw ArrayIndexOutOfBoundsException, and the MoE layer's shape errors named no line).
 */
class UserErrorsJourneyTest {
    static final Mlp MLP = Mlp.of(DType.F32, 3, 4, 1);

    static int here() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    @Test
    void aMisspelledParameterNamesItTheKnownNamesAndTheLine() {
        Map<String, HostArray> state = ParamScope.init(MLP, 0);
        Jit jit = Jit.jit(a -> Params.of((Map<String, ?>) a[0]).child("layer0").get("weight"));
        int line = here(); Throwable t = catchThrowable(() -> jit.call(state));
        assertThat(t).isInstanceOf(DslException.class)
                .hasMessage("Params.get: no parameter layer0.weight (have [layer0.b, layer0.w, layer1.b, layer1.w]) (at UserErrorsJourneyTest.java:"
                        + (line - 1) + ":0)");
    }

    @Test
    void jit2CalledWithOneArgumentSaysSo() {
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), 1, 2);
        Jit add = Jit.jit2(Tensor::add);
        int line = here(); Throwable t = catchThrowable(() -> add.call(x));
        assertThat(t).isInstanceOf(DslException.class)
                .hasMessage("jit2: takes 2 tensors, got 1 argument [f32[2]] (Jit.jit takes any pytree) (at UserErrorsJourneyTest.java:" + line + ":0)");
        Throwable map = catchThrowable(() -> Jit.jit1(Tensor::exp).call(Map.of("x", x)));
        assertThat(map).isInstanceOf(DslException.class).hasMessageStartingWith("jit1: takes 1 tensor, got 1 argument [a map with keys [x]] (Jit.jit takes any pytree)");
        Throwable list = catchThrowable(() -> add.call(List.of(x, x)));
        assertThat(list).isInstanceOf(DslException.class).hasMessageStartingWith("jit2: takes 2 tensors, got 1 argument [a list of 2] (Jit.jit takes any pytree)");
    }

    @Test
    void softmaxOfIntegersNamesSoftmaxNotExp() {
        HostArray ids = HostArray.fromLongs(Spec.of(DType.I32, 2).tensorType(), 1, 2);
        int line = here(); Throwable t = catchThrowable(() -> Jit.jit1(x -> io.hlo4j.dsl.Reductions.softmax(x, 0)).call(ids));
        assertThat(t).isInstanceOf(DslException.class)
                .hasMessage("softmax: needs a floating-point tensor, got i32[2] (at UserErrorsJourneyTest.java:" + line + ":0)");
    }

    @Test
    void nullsAreRefusedByNameNotByNullPointerException() {
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), 1, 2);
        Jit nothing = Jit.jit1(t -> null);
        int line = here(); Throwable result = catchThrowable(() -> nothing.call(x));
        assertThat(result).isInstanceOf(DslException.class)
                .hasMessage("jit: function @main returned null (return a tensor or a pytree of tensors) (at UserErrorsJourneyTest.java:" + line + ":0)");
        Throwable nested = catchThrowable(() -> Jit.jit1(t -> java.util.Arrays.asList(t, null)).call(x));
        assertThat(nested).isInstanceOf(DslException.class).hasMessageContaining("jit: function @main returned [Tensor(f32[2]), null], not a pytree of tensors: null is not a pytree leaf");
        Jit add = Jit.jit2(Tensor::add);
        Throwable arg = catchThrowable(() -> add.call(x, null));
        assertThat(arg).isInstanceOf(DslException.class).hasMessageStartingWith("jit: argument args[1] of @main is null (pass a Spec, a HostArray or a pytree of them)");
        Jit first = Jit.jit(a -> (Tensor) ((java.util.List<?>) a[0]).get(0));
        int nestedLine = here(); Throwable inList = catchThrowable(() -> first.call(java.util.Arrays.asList(x, null)));
        assertThat(inList).isInstanceOf(DslException.class).hasMessage("jit: argument args[0].1 of @main is null (pass a Spec, a HostArray "
                + "or a pytree of them) (at UserErrorsJourneyTest.java:" + nestedLine + ":0)");
        Throwable inListCompile = catchThrowable(() -> first.compile(java.util.Arrays.asList(Spec.of(DType.F32, 2), null)));
        assertThat(inListCompile).isInstanceOf(DslException.class).hasMessageContaining("jit: argument args[0].1 of @main is null");
        Throwable leaf = catchThrowable(() -> add.lower(Spec.of(DType.F32, 2), 2.0));
        assertThat(leaf).isInstanceOf(DslException.class).hasMessageStartingWith("jit: argument leaf 2.0 (a Double) is neither a Spec nor a HostArray");
    }

    @Test
    void aShardingTreeWithASpecInItIsRefusedByName() {
        Mesh mesh = Mesh.of(List.of("dp"), 2);
        int line = here(); Throwable t = catchThrowable(() -> ShardedJit.flat(Map.of("w", NamedSharding.of(mesh, "dp")), Spec.of(DType.F32, 2)));
        assertThat(t).isInstanceOf(DslException.class)
                .hasMessage("ShardedJit.flat: a sharding tree holds a Spec (f32[2]); its leaves must be NamedShardings or null (at UserErrorsJourneyTest.java:"
                        + line + ":0)");
        assertThat(ShardedJit.flat(List.of(NamedSharding.of(mesh, "dp")), null)).containsExactly(NamedSharding.of(mesh, "dp"), null);
    }

    @Test
    void moeShapeErrorsNameTheShapesAndTheBlocksLine() throws IOException {
        List<String> src = Files.readAllLines(Path.of("src/test/java/io/hlo4j/dsltest/userjourney/TinyMoeBlock.java"));
        int moeLine = MoeBlockDumpJourneyTest.indexOf(src, ".moeCall(") + 1, weightsLine = MoeBlockDumpJourneyTest.indexOf(src, "ExpertWeights.of(") + 1;

        Map<String, HostArray> p = new TreeMap<>(params(1));
        p.put("gate", HostArray.zeros(Spec.of(DType.F32, H, E + 1).tensorType()));
        Throwable gate = catchThrowable(() -> Jit.jit(block()).call(p, input(2)));
        assertThat(gate).isInstanceOf(MoeException.class)
                .hasMessage("MoeRouter: gate logits f32[8, 5] must be [8, 4] (n_routed_experts = 4) (at TinyMoeBlock.java:" + moeLine + ":0)");
        assertThat(((MoeException) gate).detail()).as("the message without the location, for the CLI")
                .isEqualTo("MoeRouter: gate logits f32[8, 5] must be [8, 4] (n_routed_experts = 4)");

        Map<String, HostArray> q = new TreeMap<>(params(1));
        q.put("wi", HostArray.zeros(Spec.of(DType.F32, E, H, M + 1).tensorType()));
        Throwable wi = catchThrowable(() -> Jit.jit(block()).call(q, input(2)));
        assertThat(wi).isInstanceOf(MoeException.class)
                .hasMessage("ExpertWeights: wi f32[4, 8, 17] and wu f32[4, 8, 16] must both be [E, H, M] (at TinyMoeBlock.java:" + weightsLine + ":0)");
    }
}
