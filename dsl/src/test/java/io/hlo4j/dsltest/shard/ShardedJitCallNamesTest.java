package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.CallArgumentException;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.ArgumentMismatchException;
import io.hlo4j.runtime.backend.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sharded program's entry function is always {@code @main} (what a partitioned run calls, as JAX's
 * {@code module @jit_f { func @main }}), but its calls' refusals name it as the user did: {@code ShardedJit.jit("loss", ...)}
 * is {@code @loss} there, as in its lowering's own checks.
 */
class ShardedJitCallNamesTest {
    static final Mesh MESH = Mesh.of(2, List.of("x"), 2);

    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    static HostArray f32(double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, v.length).tensorType(), v); }

    /** sum(x * x): 1 + 4 + 9 + 16 = 30 for [1, 2, 3, 4]. */
    static Compiled sumOfSquares(String name) {
        ShardedJit j = ShardedJit.jit(name, a -> Reductions.sum(((Tensor) a[0]).mul((Tensor) a[0]), 0), List.of(NamedSharding.of(MESH, "x")))
                .withBackend(Backend.interpreter());
        return j.compile(Spec.of(DType.F32, 4));
    }

    @Test
    void theFlatAndTheTreeCallNameTheShardedProgramByItsJitsName() {
        Compiled loss = sumOfSquares("loss");
        assertThat(loss.lowered().module().name()).isEqualTo("jit_loss");
        assertThat(loss.lowered().asText()).as("the entry function stays @main").contains("func.func public @main(");
        assertThat(loss.call(f32(1, 2, 3, 4)).get(0).toDoubleArray()).containsExactly(30.0);

        int[] at = new int[1];
        assertThatThrownBy(() -> { at[0] = line(); loss.call(f32(1, 2)); }).isInstanceOf(ArgumentMismatchException.class)
                .hasMessage("call of @loss: argument #0 is tensor<2xf32> but the entry function expects tensor<4xf32> (at ShardedJitCallNamesTest.java:"
                        + at[0] + ":0)");
        assertThatThrownBy(() -> { at[0] = line(); loss.callTree(f32(1, 2)); }).isInstanceOf(CallArgumentException.class)
                .hasMessage("call: argument args[0] of @loss is f32[2] but @loss was traced for f32[4] (at ShardedJitCallNamesTest.java:"
                        + at[0] + ":0)");
        assertThatThrownBy(() -> { at[0] = line(); loss.callTree(f32(1, 2, 3, 4), f32(1)); }).isInstanceOf(CallArgumentException.class)
                .hasMessageStartingWith("call: the arguments of @loss do not have the traced structure: ");
    }

    @Test
    void anUnnamedShardedJitAndAPlainJitKeepTheirNames() {
        Compiled main = ShardedJit.jit(a -> Reductions.sum(((Tensor) a[0]).mul((Tensor) a[0]), 0), List.of(NamedSharding.of(MESH, "x")))
                .withBackend(Backend.interpreter()).compile(Spec.of(DType.F32, 4));
        assertThatThrownBy(() -> main.call(f32(1, 2))).isInstanceOf(ArgumentMismatchException.class).hasMessageStartingWith("call of @main: argument #0");
        Compiled plain = Jit.jit("sq", a -> Reductions.sum(((Tensor) a[0]).mul((Tensor) a[0]), 0)).lower(Spec.of(DType.F32, 4))
                .compile(Backend.interpreter());
        assertThat(plain.lowered().asText()).contains("func.func public @sq(");
        assertThatThrownBy(() -> plain.call(f32(1, 2))).isInstanceOf(ArgumentMismatchException.class).hasMessageStartingWith("call of @sq: argument #0");
        assertThatThrownBy(() -> plain.callTree(f32(1, 2))).isInstanceOf(CallArgumentException.class)
                .hasMessageStartingWith("call: argument args[0] of @sq is f32[2] but @sq was traced for f32[4]");
    }
}
