package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.ShardingException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PjrtBackend.Compiled#callGlobal}: global arrays split by the entry's {@code sdy.sharding}s, one local program
 * per mock device, results assembled; the oracle is the interpreter running the same global program. The mock runs
 * the single add or dot of the program on whatever local buffers each device gets, as XLA's SPMD executable does when
 * the shardings are consistent, so local add/dot of the blocks is the global block.
 */
class PjrtGlobalCallTest {
    private static PjrtBackend pjrt;
    private static MethodHandle live;

    @BeforeAll
    static void open() {
        pjrt = PjrtBackend.open(PjrtBackendTest.mock(), Map.of("num_devices", 8L));
        live = Linker.nativeLinker().downcallHandle(SymbolLookup.libraryLookup(PjrtBackendTest.mock(), Arena.global())
                .find("mock_pjrt_live").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    }

    @AfterAll
    static void close() { pjrt.close(); }

    /** Buffers alive in the mock (kind 5). */
    private static long liveBuffers() {
        try {
            return (long) live.invokeExact(5);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static String add(int n, String mesh, long[] shape, String argSharding0, String argSharding1, String resultSharding) {
        String t = "tensor<" + shape[0] + "x" + shape[1] + "xf32>";
        return """
                module @g attributes {mhlo.num_partitions = %d : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = %s
                  func.func public @main(%%arg0: %s {sdy.sharding = #sdy.sharding<@mesh, %s>},
                                         %%arg1: %s {sdy.sharding = #sdy.sharding<@mesh, %s>})
                      -> (%s {sdy.sharding = #sdy.sharding<@mesh, %s>}) {
                    %%0 = stablehlo.add %%arg0, %%arg1 : %s
                    return %%0 : %s
                  }
                }
                """.formatted(n, mesh, t, argSharding0, t, argSharding1, t, resultSharding, t, t);
    }

    private static HostArray iota(long[] shape, float scale, float offset) {
        int n = (int) (shape[0] * shape[1]);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * scale + offset;
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    /** Runs {@code text} globally on the mock and on the interpreter; asserts equal bits and no leak; returns the PJRT results. */
    private static List<HostArray> againstInterpreter(String text, List<HostArray> args) {
        Module m = MlirParser.parseModule(text, "global.mlir");
        List<HostArray> want = Backend.interpreter().compile(m).call(args);
        PjrtBackend.Compiled exe = pjrt.compile(m);
        assertThat(exe.takesGlobalArrays()).isTrue();
        List<HostArray> got = exe.callGlobal(args);
        assertThat(exe.call(args)).as("call() takes global arrays too").hasSize(got.size());
        assertThat(got).hasSameSizeAs(want);
        for (int j = 0; j < want.size(); j++) {
            assertThat(got.get(j).type()).isEqualTo(want.get(j).type());
            assertThat(got.get(j).toDoubleArray()).as("result %d", j).containsExactly(want.get(j).toDoubleArray());
        }
        exe.executable().close();
        assertThat(pjrt.client().openObjects()).as("nothing left open").isZero();
        assertThat(liveBuffers()).as("no live buffers in the mock").isZero();
        return got;
    }

    @Test
    void addSplitByRowsOnTwoDevices() {
        long[] s = {8, 4};
        String text = add(2, "<[\"x\"=2]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"x\"}, {}]");
        HostArray r = againstInterpreter(text, List.of(iota(s, 1, 0), iota(s, 0.5f, 100))).getFirst();
        assertThat(r.toDoubleArray()[31]).isEqualTo(31 + 115.5);   // last element: 31 + (31 * 0.5 + 100)
    }

    @Test
    void addSplitByColumnsOnFourDevices() {
        long[] s = {3, 8};
        againstInterpreter(add(4, "<[\"x\"=4]>", s, "[{}, {\"x\"}]", "[{}, {\"x\"}]", "[{}, {\"x\"}]"),
                List.of(iota(s, 1, 0), iota(s, -2, 7)));
    }

    @Test
    void addOnATwoDimensionalMeshOfEightDevices() {
        long[] s = {4, 8};
        againstInterpreter(add(8, "<[\"x\"=2, \"y\"=4]>", s, "[{\"x\"}, {\"y\"}]", "[{\"x\"}, {\"y\"}]", "[{\"x\"}, {\"y\"}]"),
                List.of(iota(s, 1, 0), iota(s, 3, -1)));
        // Two axes on one dimension, major to minor, and a replicated dimension.
        long[] t = {16, 2};
        againstInterpreter(add(8, "<[\"x\"=2, \"y\"=4]>", t, "[{\"y\", \"x\"}, {}]", "[{\"y\", \"x\"}, {}]", "[{\"y\", \"x\"}, {}]"),
                List.of(iota(t, 1, 0), iota(t, 0.25f, 2)));
    }

    @Test
    void replicatedOperandsGiveAReplicatedResultWhoseCopiesAgree() {
        long[] s = {2, 3};
        againstInterpreter(add(4, "<[\"x\"=4]>", s, "[{}, {}]", "[{}, {}]", "[{}, {}]"), List.of(iota(s, 1, 0), iota(s, 10, 1)));
    }

    @Test
    void nonTrivialDeviceIdsPlaceBlocksByMeshPosition() {
        long[] s = {4, 4};
        againstInterpreter(add(4, "<[\"x\"=2, \"y\"=2], device_ids=[3, 1, 0, 2]>", s, "[{\"x\"}, {\"y\"}]", "[{\"x\"}, {\"y\"}]",
                "[{\"x\"}, {\"y\"}]"), List.of(iota(s, 1, 0), iota(s, -1, 50)));
        long[] t = {8, 2};
        againstInterpreter(add(4, "<[\"x\"=4], device_ids=[2, 0, 3, 1]>", t, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"x\"}, {}]"),
                List.of(iota(t, 1, 0), iota(t, 2, 0)));
    }

    /**
     * The result is assembled by the result's own sharding, not the arguments': with arguments split {x, y} and the
     * result declared {y, x}, device (x, y) computes block 2x+y of the sum and the result holds it as block 2y+x. XLA
     * would insert a reshard here; the mock does not, so the global result has blocks 1 and 2 swapped.
     */
    @Test
    void eachResultIsAssembledByItsOwnSharding() {
        long[] s = {4, 1};
        String text = add(4, "<[\"x\"=2, \"y\"=2], device_ids=[1, 3, 0, 2]>", s, "[{\"x\", \"y\"}, {}]", "[{\"x\", \"y\"}, {}]",
                "[{\"y\", \"x\"}, {}]");
        PjrtBackend.Compiled exe = pjrt.compile(MlirParser.parseModule(text, "swap.mlir"));
        HostArray r = exe.callGlobal(List.of(iota(s, 1, 0), iota(s, 10, 0))).getFirst();   // sum = 0, 11, 22, 33
        assertThat(r.toDoubleArray()).containsExactly(0, 22, 11, 33);
        exe.executable().close();
    }

    private static String dot(int n, String mesh, long m, long k, long nn, String lhs, String rhs, String out) {
        return """
                module @d attributes {mhlo.num_partitions = %d : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = %s
                  func.func public @main(%%arg0: tensor<%dx%dxf32> {sdy.sharding = #sdy.sharding<@mesh, %s>},
                                         %%arg1: tensor<%dx%dxf32> {sdy.sharding = #sdy.sharding<@mesh, %s>})
                      -> (tensor<%dx%dxf32> {sdy.sharding = #sdy.sharding<@mesh, %s>}) {
                    %%0 = stablehlo.dot_general %%arg0, %%arg1, contracting_dims = [1] x [0] : (tensor<%dx%dxf32>, tensor<%dx%dxf32>) -> tensor<%dx%dxf32>
                    return %%0 : tensor<%dx%dxf32>
                  }
                }
                """.formatted(n, mesh, m, k, lhs, k, nn, rhs, m, nn, out, m, k, k, nn, m, nn, m, nn);
    }

    @Test
    void aDotWithLhsRowsSplitAndRhsReplicatedIsTheGlobalProduct() {
        List<HostArray> args = List.of(iota(new long[] {8, 3}, 1, 0), iota(new long[] {3, 2}, 1, 1));
        HostArray r = againstInterpreter(dot(4, "<[\"x\"=4]>", 8, 3, 2, "[{\"x\"}, {}]", "[{}, {}]", "[{\"x\"}, {}]"), args).getFirst();
        // row 7 of lhs = 21, 22, 23; rhs = [[1,2],[3,4],[5,6]]: 21+66+115 = 202, 42+88+138 = 268
        assertThat(r.toDoubleArray()[14]).isEqualTo(202);
        assertThat(r.toDoubleArray()[15]).isEqualTo(268);
        // Rows over x, columns of rhs over y: every device's local product is block (x, y) of the global one.
        againstInterpreter(dot(4, "<[\"x\"=2, \"y\"=2]>", 4, 3, 4, "[{\"x\"}, {}]", "[{}, {\"y\"}]", "[{\"x\"}, {\"y\"}]"),
                List.of(iota(new long[] {4, 3}, 1, -3), iota(new long[] {3, 4}, 0.5f, 1)));
    }

    /**
     * The contracting dimension split over x and the result declared unreduced over x: each device's local product is a
     * partial sum of the global one, and assembling adds the partials (as the interpreter's SPMD runner does).
     */
    @Test
    void aResultWithUnreducedAxesIsTheSumOfTheDevicesPartials() {
        List<HostArray> args = List.of(iota(new long[] {3, 4}, 1, -2), iota(new long[] {4, 2}, 0.5f, 1));
        HostArray r = againstInterpreter(dot(2, "<[\"x\"=2]>", 3, 4, 2, "[{}, {\"x\"}]", "[{\"x\"}, {}]", "[{}, {}], unreduced={\"x\"}"), args)
                .getFirst();
        // row 0 of lhs: -2, -1, 0, 1; column 0 of rhs: 1, 2, 3, 4: -2 - 2 + 0 + 4 = 0; column 1: 1.5, 2.5, 3.5, 4.5: -3 - 2.5 + 0 + 4.5 = -1
        assertThat(r.toDoubleArray()[0]).isEqualTo(0);
        assertThat(r.toDoubleArray()[1]).isEqualTo(-1);
    }

    // ---- refusals ------------------------------------------------------------------------------------------------

    private static void refused(String text, List<HostArray> args, Function<org.assertj.core.api.AbstractThrowableAssert<?, ?>, ?> check) {
        PjrtBackend.Compiled exe = pjrt.compile(MlirParser.parseModule(text, "bad.mlir"));
        try {
            check.apply(assertThatThrownBy(() -> exe.callGlobal(args)).isInstanceOf(Hlo4jException.class));
        } finally {
            exe.executable().close();
        }
        assertThat(pjrt.client().openObjects()).isZero();
        assertThat(liveBuffers()).as("no live buffers after a refusal").isZero();
    }

    @Test
    void anArgumentWithoutAShardingIsRefusedByName() {
        String text = """
                module @u attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func public @main(%arg0: tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %arg1: tensor<4x2xf32>)
                      -> (tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<4x2xf32>
                    return %0 : tensor<4x2xf32>
                  }
                }
                """;
        long[] s = {4, 2};
        refused(text, List.of(iota(s, 1, 0), iota(s, 1, 0)), a -> a.isInstanceOf(ShardingException.class)
                .hasMessageContaining("argument #1 (tensor<4x2xf32>) of @main has no sdy.sharding, but the program runs on 2 partitions")
                .hasMessageContaining("#sdy.sharding<@mesh, [{}, {}]>"));
    }

    @Test
    void aResultWithoutAShardingIsRefusedByName() {
        String text = """
                module @u attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func public @main(%arg0: tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>},
                                         %arg1: tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<4x2xf32> {
                    %0 = stablehlo.add %arg0, %arg1 : tensor<4x2xf32>
                    return %0 : tensor<4x2xf32>
                  }
                }
                """;
        long[] s = {4, 2};
        refused(text, List.of(iota(s, 1, 0), iota(s, 1, 0)), a -> a.isInstanceOf(ShardingException.class)
                .hasMessageContaining("result #0 (tensor<4x2xf32>) of @main has no sdy.sharding, but the program runs on 2 partitions"));
    }

    @Test
    void anIndivisibleDimensionIsRefusedNamingTheArgumentAndTheAxis() {
        long[] s = {6, 2};
        refused(add(4, "<[\"x\"=4]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"x\"}, {}]"), List.of(iota(s, 1, 0), iota(s, 1, 0)),
                a -> a.hasMessageContaining("argument #0 (tensor<6x2xf32>) of @main").hasMessageContaining("6").hasMessageContaining("\"x\""));
    }

    @Test
    void unreducedAxesOnAnArgumentAreRefused() {
        long[] s = {4, 2};
        refused(add(2, "<[\"x\"=2]>", s, "[{}, {}], unreduced={\"x\"}", "[{}, {}]", "[{}, {}]"), List.of(iota(s, 1, 0), iota(s, 1, 0)),
                a -> a.hasMessageContaining("argument #0 (tensor<4x2xf32>) of @main has unreduced axes")
                        .hasMessageContaining("a global argument is a full value"));
    }

    @Test
    void aMeshOfAnotherSizeIsRefused() {
        long[] s = {4, 2};
        refused(add(4, "<[\"x\"=2]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"x\"}, {}]"), List.of(iota(s, 1, 0), iota(s, 1, 0)),
                a -> a.hasMessageContaining("argument #0 (tensor<4x2xf32>) of @main").hasMessageContaining("of 2 devices, but the program runs on 4 partitions"));
    }

    @Test
    void aResultOfTheWrongLocalShapeIsRefusedNamingTheDeviceAndBothShapes() {
        // The mock adds the local [4, 2] blocks; a replicated result would need the whole [8, 2] on every device.
        long[] s = {8, 2};
        refused(add(2, "<[\"x\"=2]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{}, {}]"), List.of(iota(s, 1, 0), iota(s, 1, 0)),
                a -> a.hasMessageContaining("result #0 (tensor<8x2xf32>) of @main: partition 0 (PJRT device 100) returned tensor<4x2xf32>")
                        .hasMessageContaining("needs tensor<8x2xf32>"));
    }

    @Test
    void replicatedCopiesThatDisagreeAreRefusedNotPicked() {
        // Arguments split over x, the result over y: devices (0, y) and (1, y) claim the same result block but computed
        // different row blocks.
        long[] s = {4, 2};
        refused(add(4, "<[\"x\"=2, \"y\"=2]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"y\"}, {}]"), List.of(iota(s, 1, 0), iota(s, 1, 0)),
                a -> a.isInstanceOf(ShardingException.class).hasMessageContaining("result #0 (tensor<4x2xf32>) of @main: replicas disagree: devices 0 and 2"));
    }

    @Test
    void wrongGlobalArgumentsAreRefusedBeforeTouchingTheDevices() {
        long[] s = {4, 2};
        refused(add(2, "<[\"x\"=2]>", s, "[{\"x\"}, {}]", "[{\"x\"}, {}]", "[{\"x\"}, {}]"), List.of(iota(new long[] {2, 2}, 1, 0), iota(s, 1, 0)),
                a -> a.hasMessageContaining("argument #0 is tensor<2x2xf32> but the entry function expects tensor<4x2xf32>"));
    }
}
