package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.propagate.Propagated;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.compiler.spmd.propagate.ShardingConflict;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One reshape of a sharded value, as a user writes it: {@code @main} with the operand as its argument and the reshape's
 * result as its result, either annotated or not. It is propagated, partitioned, printed, parsed back and verified, run
 * on the mesh's simulated devices and compared bit for bit with the unpartitioned program on the interpreter (a reshape
 * moves values and computes nothing). Shared by the reshape tests of this package; not a test itself.
 */
record ReshapeCase(String text, Propagated propagated, PartitionedProgram program, String printed, SpmdRun run) {

    /** {@code mesh} is the axes' text ({@code "x"=2, "y"=3}); a null sharding leaves that side unannotated. */
    static ReshapeCase of(String mesh, long[] in, String inSharding, long[] out, String outSharding) {
        int devices = 1;
        for (String axis : mesh.split(",")) devices *= Integer.parseInt(axis.substring(axis.indexOf('=') + 1).trim());
        String ti = type(in), to = type(out);
        String text = "module @reshape attributes {mhlo.num_partitions = " + devices + " : i32, mhlo.num_replicas = 1 : i32} {\n"
                + "  sdy.mesh @mesh = <[" + mesh + "]>\n"
                + "  func.func @main(%arg0: " + ti + annotation(inSharding) + ") -> (" + to + annotation(outSharding) + ") {\n"
                + "    %0 = stablehlo.reshape %arg0 : (" + ti + ") -> " + to + "\n"
                + "    return %0 : " + to + "\n  }\n}\n";
        Module global = MlirParser.parseModule(text, "reshape.mlir");
        Propagated propagated = Propagation.propagate(global);
        PartitionedProgram p = Spmd.partition(propagated.module());
        String printed = MlirPrinter.print(p.module());
        ModuleVerifier.verify(MlirParser.parseModule(printed, "explicit.mlir"));
        HostArray x = SpmdHarness.random(TensorType.of(FloatType.F32, in), new Random(Arrays.hashCode(in) * 31L + Arrays.hashCode(out)));
        SpmdRun run = SpmdRunner.run(p.module(), p.mesh(), List.of(x), p.argShardings(), p.resultShardings(), p.resultTypes());
        HostArray want = SpmdHarness.runGlobal(global, List.of(x)).get(0);
        assertThat(run.results().get(0).toDoubleArray()).as("%s\n%s", text, printed).containsExactly(want.toDoubleArray());
        return new ReshapeCase(text, propagated, p, printed, run);
    }

    static String type(long[] shape) {
        return "tensor<" + Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining("x")) + "xf32>";
    }

    private static String annotation(String sharding) {
        return sharding == null ? "" : " {sdy.sharding = #sdy.sharding<@mesh, " + sharding + ">}";
    }

    /** The sharding propagation chose for the reshape's result, e.g. {@code [{"x":(1)2}, {}]}. */
    String reshapeSharding() {
        for (Operation op : propagated.module().symbols().lookup("main").region(0).entry().operations()) {
            if (op.name().equals("stablehlo.reshape")) {
                String s = op.attributes().get("sdy.sharding").toString();
                return s.substring(s.indexOf('['), s.lastIndexOf(']')).replaceFirst("^\\[<@mesh, ", "").replaceFirst(">$", "");
            }
        }
        throw new AssertionError("no reshape in\n" + text);
    }

    /** The collectives that ran, as {@code all_gather [[0, 1], [2, 3]]}. */
    List<String> collectives() {
        return run.log().stream().map(r -> r.op().replace("stablehlo.", "") + " " + r.groups()).toList();
    }

    /** The most bytes one device received over the run. */
    long maxBytesReceived() { return run.maxBytesReceived(program.devices()); }

    List<ShardingConflict> conflicts() { return propagated.conflicts(); }

    List<CollectiveRecord> log() { return run.log(); }
}
