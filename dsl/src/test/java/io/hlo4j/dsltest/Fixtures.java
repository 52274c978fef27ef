package io.hlo4j.dsltest;

import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers: run a traced function on the interpreter after checking its text parses back and verifies. */
final class Fixtures {
    private Fixtures() {}

    static HostArray f64(long[] shape, double... v) { return HostArray.fromDoubles(TensorType.of(FloatType.F64, shape), v); }
    static HostArray f32(long[] shape, double... v) { return HostArray.fromDoubles(TensorType.of(FloatType.F32, shape), v); }
    static HostArray i32(long[] shape, long... v) { return HostArray.fromLongs(TensorType.of(IntegerType.I32, shape), v); }
    static long[] s(long... d) { return d; }

    static double[] random(long seed, int n) {
        Random r = new Random(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = r.nextGaussian();
        return d;
    }

    /** Traces, checks the printed module parses back to the same text and verifies, then runs it. */
    static List<HostArray> run(TracedFunction fn, HostArray... args) {
        Jit j = Jit.jit(fn);
        Lowered lowered = j.lower((Object[]) args);
        String text = lowered.asText();
        Module back = MlirParser.parseModule(text, "traced.mlir");
        ModuleVerifier.verify(back);
        assertThat(MlirPrinter.print(back)).isEqualTo(text);
        Compiled c = lowered.compile();
        return c.call(args);
    }

    static HostArray run1(TracedFunction fn, HostArray... args) { return run(fn, args).get(0); }

    static void assertClose(HostArray got, double[] want, double tol) {
        double[] g = got.toDoubleArray();
        assertThat(g).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            assertThat(g[i]).as("element %d of %s", i, got).isCloseTo(want[i], org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(want[i]))));
        }
    }
}
