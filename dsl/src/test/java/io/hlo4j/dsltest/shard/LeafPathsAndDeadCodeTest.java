package io.hlo4j.dsltest.shard;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.transform.DeadCode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A mis-sharded leaf is named by its key path in JAX's keystr notation ({@code args[0][1]['w']}, {@code result[1]['h']}),
 * map keys with dots included; and lowering removes dead code (values nothing returned uses), as JAX's does.
 */
class LeafPathsAndDeadCodeTest {
    static final Mesh MESH = Mesh.of(4, List.of("dp", "tp"), 2, 2);
    static final NamedSharding OK = NamedSharding.of(MESH, null, null);
    /** Splits dimension 0 over dp and tp (4 shards): a leaf of 6 rows is refused. */
    static final NamedSharding BAD = NamedSharding.of(MESH, new String[] {"dp", "tp"}, null);

    @Test
    void anArgumentInsideAListInsideAMapIsNamedByItsKeyPath() {
        TracedFunction f = a -> ((Tensor) a[1]);
        // args: ([ {"a.b": w0}, {"w": w1} ], x); leaves: w0, w1, x
        Spec ok = Spec.of(DType.F32, 8, 2), bad = Spec.of(DType.F32, 6, 2);
        Object params = List.of(Map.of("a.b", ok), Map.of("w", bad));
        ShardedJit jit = ShardedJit.jit("p", f, ShardedJit.flat(List.of(Map.of("a.b", OK), Map.of("w", BAD)), OK));
        DslException e = assertThrows(DslException.class, () -> jit.lower(params, ok));
        assertThat(e.detail()).startsWith("NamedSharding: argument #1 (args[0][1]['w'], f32[6, 2]) of @p ");

        ShardedJit dotted = ShardedJit.jit("p", f, ShardedJit.flat(List.of(Map.of("a.b", BAD), Map.of("w", OK)), OK));
        DslException e2 = assertThrows(DslException.class, () -> dotted.lower(List.of(Map.of("a.b", bad), Map.of("w", ok)), ok));
        assertThat(e2.detail()).startsWith("NamedSharding: argument #0 (args[0][0]['a.b'], f32[6, 2]) of @p ");

        // a bare argument: its index says it
        ShardedJit bare = ShardedJit.jit("p", f, List.of(OK, BAD));
        DslException e3 = assertThrows(DslException.class, () -> bare.lower(ok, bad));
        assertThat(e3.detail()).startsWith("NamedSharding: argument #1 (f32[6, 2]) of @p ");

        // a bare argument after a map of parameters: leaf #2 is args[1], so its path is given
        ShardedJit afterMap = ShardedJit.jit("p", f, ShardedJit.flat(Map.of("u", OK, "w", OK), BAD));
        DslException e4 = assertThrows(DslException.class, () -> afterMap.lower(Map.of("u", ok, "w", ok), bad));
        assertThat(e4.detail()).startsWith("NamedSharding: argument #2 (args[1], f32[6, 2]) of @p ");
    }

    @Test
    void aResultIsNamedByItsKeyPath() {
        // returns (x, {"g": x, "h": y}) with y [6, 2]; leaves: x, g, h
        TracedFunction f = a -> List.of(a[0], Map.of("g", a[0], "h", a[1]));
        Spec x = Spec.of(DType.F32, 8, 2), y = Spec.of(DType.F32, 6, 2);
        ShardedJit jit = ShardedJit.jit("r", f, List.of(OK, OK), List.of(OK, OK, BAD));
        DslException e = assertThrows(DslException.class, () -> jit.lower(x, y));
        assertThat(e.detail()).startsWith("NamedSharding: result #2 (result[1]['h'], f32[6, 2]) of @r ");

        ShardedJit bare = ShardedJit.jit("r", a -> a[1], List.of(OK, OK), List.of(BAD));
        DslException e2 = assertThrows(DslException.class, () -> bare.lower(x, y));
        assertThat(e2.detail()).startsWith("NamedSharding: result #0 (f32[6, 2]) of @r ");
    }

    private static List<String> ops(io.hlo4j.mlir.ir.Operation root) {
        List<String> out = new ArrayList<>();
        Walker.walk(root, op -> out.add(op.name()));
        return out;
    }

    @Test
    void loweringRemovesDeadCodeInJitAndShardedJit() {
        // exp(x) and its square are traced but not returned
        TracedFunction f = a -> {
            Tensor x = (Tensor) a[0];
            x.exp().square();
            return x.neg();
        };
        Spec s = Spec.of(DType.F32, 8, 2);
        var traced = Jit.traceFunction("f", f, s);
        assertThat(DeadCode.countDead(traced.function())).isEqualTo(2);
        var lowered = traced.lower();
        assertThat(ops(lowered.module().op())).containsExactly("builtin.module", "func.func", "stablehlo.negate", "func.return");
        var sharded = ShardedJit.jit("f", f, List.of(OK), List.of(OK)).lower(s);
        assertThat(ops(sharded.module().op())).containsExactly("builtin.module", "sdy.mesh", "func.func", "stablehlo.negate", "func.return");
    }
}
