package io.hlo4j.dsltest.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

/**
 * Omitted out-shardings (null, or the three-argument {@code jit}) leave every result of a list-returning function
 * to propagation: the same module as an explicit list of nulls, and on 4 simulated devices the same values as the
 * unsharded program.
 */
class ShardedJitOutShardingsTest {
    static final Mesh MESH = Mesh.of(4, List.of("dp", "tp"), 2, 2);
    static final List<NamedSharding> IN = List.of(NamedSharding.of(MESH, "dp", "tp"), NamedSharding.of(MESH, "tp", null));

    /** Three results of different ranks: x @ w [8, 4], row sums of x [8], and the scalar sum of (x @ w)^2. */
    static final TracedFunction THREE = a -> {
        Tensor x = (Tensor) a[0], w = (Tensor) a[1];
        Tensor y = x.matmul(w);
        return List.of(y, Reductions.sum(x, 1), Reductions.sum(Ops.mul(y, y), 0, 1));
    };

    static HostArray arr(long[] shape, java.util.function.IntToDoubleFunction f) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = f.applyAsDouble(i);
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    @Test
    void omittedOutShardingsRunOnFourDevicesAsTheUnshardedProgram() {
        HostArray x = arr(new long[] {8, 16}, i -> Math.sin(i)), w = arr(new long[] {16, 4}, i -> Math.cos(0.5 * i));
        List<HostArray> want = Jit.jit("three", THREE).callList(x, w);
        for (ShardedJit j : List.of(ShardedJit.jit("three", THREE, IN), ShardedJit.jit("three", THREE, IN, null))) {
            SimulatedRun run = j.callSimulated(x, w);
            @SuppressWarnings("unchecked") List<HostArray> got = (List<HostArray>) run.results();
            assertThat(run.program().devices()).isEqualTo(4);
            assertCloseResults(got, want);
            assertThat(run.run().log()).as("the contraction over tp communicates").isNotEmpty();
        }
    }

    /**
     * {@code ShardedJit.jit(fn, in)}, {@code jax.jit(f, in_shardings=in)}: the module {@code @jit_main}, each argument
     * carrying its in-sharding, no result an {@code sdy.sharding}; globally and on 4 simulated devices it gives the
     * unsharded jit's values.
     */
    @Test
    void theTwoArgumentJitAnnotatesTheArgumentsOnlyAndRunsAsTheUnshardedJit() {
        HostArray x = arr(new long[] {8, 16}, i -> Math.sin(i)), w = arr(new long[] {16, 4}, i -> Math.cos(0.5 * i));
        ShardedJit j = ShardedJit.jit(THREE, IN).withBackend(io.hlo4j.runtime.backend.Backend.interpreter());
        io.hlo4j.dsl.jit.Lowered lowered = j.lower(x, w);
        assertThat(lowered.module().name()).isEqualTo("jit_main");
        io.hlo4j.mlir.ir.Operation main = lowered.module().symbols().lookup("main");
        assertThat(main).as("the entry function @main").isNotNull();
        io.hlo4j.mlir.attr.ArrayAttr argAttrs = (io.hlo4j.mlir.attr.ArrayAttr) main.attr("arg_attrs");
        assertThat(argAttrs.size()).isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            assertThat(((io.hlo4j.mlir.attr.DictionaryAttr) argAttrs.get(i)).get("sdy.sharding")).as("argument #" + i)
                    .isEqualTo(IN.get(i).toSdy(2));
        }
        assertThat(main.attr("res_attrs")).as("no result annotated:\n" + lowered.asText()).isNull();
        assertThat(lowered.asText().split("sdy.sharding = ", -1).length - 1).as(lowered.asText()).isEqualTo(2);

        List<HostArray> want = Jit.jit("three", THREE).callList(x, w);
        @SuppressWarnings("unchecked") List<HostArray> global = (List<HostArray>) j.call(x, w);
        @SuppressWarnings("unchecked") List<HostArray> simulated = (List<HostArray>) j.callSimulated(x, w).results();
        for (List<HostArray> got : List.of(global, simulated)) {
            assertCloseResults(got, want);
        }
    }

    @Test
    void omittedIsTheSameModuleAsAnExplicitListOfNulls() {
        Spec xs = Spec.of(DType.F32, 8, 16), ws = Spec.of(DType.F32, 16, 4);
        String omitted = MlirPrinter.print(ShardedJit.jit("three", THREE, IN).lower(xs, ws).module());
        String nulls = MlirPrinter.print(ShardedJit.jit("three", THREE, IN, Collections.nCopies(3, null)).lower(xs, ws).module());
        assertThat(omitted).isEqualTo(nulls);
        assertThat(omitted).as("arguments annotated").contains("{sdy.sharding = #sdy.sharding<@mesh, [{\"dp\"}, {\"tp\"}]>}");
        assertThat(omitted.split("\\{sdy.sharding = ", -1).length - 1).as("only the two arguments annotated:\n" + omitted).isEqualTo(2);
    }

    @Test
    void aGivenListMustStillHaveOneEntryPerResult() {
        Spec xs = Spec.of(DType.F32, 8, 16), ws = Spec.of(DType.F32, 16, 4);
        assertThatThrownBy(() -> ShardedJit.jit("three", THREE, IN, Collections.singletonList(null)).lower(xs, ws))
                .isInstanceOf(DslException.class).hasMessageContaining("returns 3 result leaves")
                .hasMessageContaining("but 1 out_shardings were given (pass null to leave every result to propagation)");
    }

    /** Each of the three results has the unsharded one's shape and values, within 1e-4 of their magnitude (at least 1). */
    private static void assertCloseResults(List<HostArray> got, List<HostArray> want) {
        assertThat(got).hasSize(3);
        for (int r = 0; r < 3; r++) {
            assertThat(got.get(r).shape()).as("result #" + r).containsExactly(want.get(r).shape());
            double[] g = got.get(r).toDoubleArray(), e = want.get(r).toDoubleArray();
            for (int i = 0; i < e.length; i++) {
                assertThat(g[i]).as("result #" + r + " [" + i + "]").isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(e[i]))));
            }
        }
    }
}
