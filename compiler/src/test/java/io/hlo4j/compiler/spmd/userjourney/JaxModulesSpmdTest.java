package io.hlo4j.compiler.spmd.userjourney;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.spmd.CollectiveRecord;
import io.hlo4j.runtime.spmd.SpmdRun;
import io.hlo4j.runtime.spmd.SpmdRunner;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Day one of a JAX user: the modules of {@link JaxModules}, parsed, partitioned with {@code Spmd.explicit} (what
 * {@code hlo4j run --spmd} uses), run on simulated devices and compared with the global program on one device (or,
 * for the shard_map, with the sums written out by hand). The bytes each device received are checked against a hand
 * count by {@code CollectiveBytes}' definitions: all_reduce 2(g-1)/g of its operand, reduce_scatter and all_to_all
 * (g-1)/g.
 */
class JaxModulesSpmdTest {
    private static HostArray random(Random r, long... shape) {
        float[] v = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v);
    }

    private static SpmdRun runExplicit(String text, List<HostArray> in) {
        Module annotated = MlirParser.parseModule(text, "jax.mlir");
        ModuleVerifier.verify(annotated);
        PartitionedProgram p = Spmd.explicit(annotated);
        assertThat(p.report().entries()).as("nothing computed replicated or gathered against the user's shardings").isEmpty();
        String device = MlirPrinter.print(p.module());
        assertThat(device).doesNotContain("sdy.");
        ModuleVerifier.verify(MlirParser.parseModule(device, "device.mlir"));
        return SpmdRunner.run(p.module(), p.mesh(), in, p.argShardings(), p.resultShardings(), p.resultTypes());
    }

    private static void assertClose(HostArray got, HostArray want) {
        assertThat(got.shape()).isEqualTo(want.shape());
        assertThat(got.allClose(want, 1e-5, 1e-5)).as("got %s\nwant %s", got, want).isTrue();
    }

    @Test
    void megatronMlpOnDpTimesTpMovesOneAllReduceOverTp() {
        Random r = new Random(11);
        List<HostArray> in = List.of(random(r, 8, 16), random(r, 16, 32), random(r, 32, 16));
        SpmdRun run = runExplicit(JaxModules.MLP, in);
        HostArray want = new Interpreter(MlirParser.parseModule(JaxModules.MLP, "jax.mlir")).runHost("main", in).get(0);
        assertClose(run.results().get(0), want);
        // column then row parallel: the only collective is the all_reduce of the [4,16] f32 partial output (256 B)
        // over tp (g = 2): 2 * 1/2 * 256 = 256 B into every device
        assertThat(run.log()).hasSize(1);
        CollectiveRecord ar = run.log().get(0);
        assertThat(ar.op()).isEqualTo("stablehlo.all_reduce");
        assertThat(ar.axes()).containsExactly("tp");
        assertThat(ar.groups()).containsExactly(List.of(0, 1), List.of(2, 3));
        assertThat(ar.bytesReceived()).containsExactly(256, 256, 256, 256);
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(256, 256, 256, 256);
    }

    @Test
    void contractingSplitIntoRowSplitResultIsOneReduceScatter() {
        Random r = new Random(12);
        List<HostArray> in = List.of(random(r, 8, 16), random(r, 16, 8));
        SpmdRun run = runExplicit(JaxModules.REDUCE_SCATTER, in);
        HostArray want = new Interpreter(MlirParser.parseModule(JaxModules.REDUCE_SCATTER, "jax.mlir")).runHost("main", in).get(0);
        assertClose(run.results().get(0), want);
        // each device's partial [8,8] f32 (256 B) is reduce-scattered over x (g = 4): 3/4 * 256 = 192 B, no gather
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.reduce_scatter");
        assertThat(run.log().get(0).groups()).containsExactly(List.of(0, 1, 2, 3));
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(192, 192, 192, 192);
    }

    @Test
    void shardMapPsumAndAllToAllMatchHandSums() {
        Random r = new Random(13);
        HostArray x = random(r, 8, 8);
        SpmdRun run = runExplicit(JaxModules.SHARD_MAP, List.of(x));
        double[] xv = x.toDoubleArray(), sum = new double[64];
        // psum over x of the four [2,8] row blocks, held P('x') so every row block of the result is that sum
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                double s = 0;
                for (int b = 0; b < 4; b++) s += xv[(b * 2 + i % 2) * 8 + j];
                sum[i * 8 + j] = s;
            }
        }
        assertClose(run.results().get(0), HostArray.fromDoubles(TensorType.of(FloatType.F32, 8, 8), sum));
        // tiled all_to_all split 1 / concat 0 turns P('x', None) into P(None, 'x') of the same array
        assertClose(run.results().get(1), x);
        // the body's two collectives and nothing else: the operands arrive in the in_shardings, results leave as declared.
        // all_reduce of [2,8] f32 (64 B), g = 4: 2 * 3/4 * 64 = 96 B; all_to_all of 64 B: 3/4 * 64 = 48 B
        assertThat(run.log()).extracting(CollectiveRecord::op).containsExactly("stablehlo.all_reduce", "stablehlo.all_to_all");
        assertThat(run.log().get(0).bytesReceived()).containsExactly(96, 96, 96, 96);
        assertThat(run.log().get(1).bytesReceived()).containsExactly(48, 48, 48, 48);
        assertThat(run.bytesReceivedPerDevice(4)).containsExactly(144, 144, 144, 144);
    }
}
