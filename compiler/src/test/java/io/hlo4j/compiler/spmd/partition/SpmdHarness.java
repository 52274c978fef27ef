package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.HostArrays;
import io.hlo4j.runtime.interp.Interpreter;
import io.hlo4j.runtime.interp.RtValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs an explicit program on N simulated devices and compares with the global program on one device. The
 * split and assembly here are written independently of the partitioner: a device's mesh position is the
 * inverse of the mesh's device order, its coordinates row-major, and a dimension's block index row-major
 * over that dimension's axes (whole axes only). Copies of a block held by several devices must agree exactly.
 */
final class SpmdHarness {
    private SpmdHarness() {}

    static long[] coords(MeshAttr mesh, int partition) {
        List<Long> order = mesh.deviceOrder();
        int pos = order.indexOf((long) partition);
        long[] c = new long[mesh.axes().size()];
        for (int a = c.length - 1; a >= 0; a--) {
            long s = mesh.axes().get(a).size();
            c[a] = pos % s;
            pos /= (int) s;
        }
        return c;
    }

    static long blockIndex(MeshAttr mesh, long[] coords, List<AxisRef> axes) {
        long idx = 0;
        for (AxisRef r : axes) {
            if (r.isSubAxis()) throw new IllegalArgumentException("test harness handles whole axes only");
            int a = mesh.axisNames().indexOf(r.name());
            idx = idx * mesh.axes().get(a).size() + coords[a];
        }
        return idx;
    }

    static long count(MeshAttr mesh, List<AxisRef> axes) {
        long n = 1;
        for (AxisRef r : axes) n *= mesh.axisSize(r.name());
        return n;
    }

    /** Device p's block of a global array. */
    static HostArray block(HostArray global, MeshAttr mesh, TensorSharding s, int p) {
        long[] shape = global.shape(), c = coords(mesh, p), local = shape.clone(), start = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            long n = count(mesh, s.axesOfDim(d));
            local[d] = shape[d] / n;
            start[d] = blockIndex(mesh, c, s.axesOfDim(d)) * local[d];
        }
        TensorType lt = global.type().withShape(local);
        int size = (int) lt.numElements();
        double[] out = new double[size];
        long[] idx = new long[shape.length];
        for (int i = 0; i < size; i++) {
            long rem = i;
            for (int d = shape.length - 1; d >= 0; d--) { idx[d] = start[d] + rem % local[d]; rem /= local[d]; }
            out[i] = global.getDoubleAt(idx);
        }
        return make(lt, out);
    }

    /** The global array from the devices' blocks, checking copies of one block agree bit for bit. */
    static HostArray assemble(List<HostArray> blocks, TensorType global, MeshAttr mesh, TensorSharding s) {
        long[] shape = global.shape();
        double[] out = new double[(int) global.numElements()];
        boolean[] seen = new boolean[out.length];
        for (int p = 0; p < blocks.size(); p++) {
            HostArray b = blocks.get(p);
            long[] c = coords(mesh, p), local = b.shape();
            long[] idx = new long[shape.length];
            for (int i = 0; i < b.size(); i++) {
                long rem = i;
                for (int d = shape.length - 1; d >= 0; d--) {
                    idx[d] = blockIndex(mesh, c, s.axesOfDim(d)) * local[d] + rem % local[d];
                    rem /= local[d];
                }
                int flat = 0;
                for (int d = 0; d < shape.length; d++) flat = (int) (flat * shape[d] + idx[d]);
                double v = b.getDouble(i);
                if (seen[flat]) {
                    assertThat(Double.doubleToLongBits(v)).as("device %d holds a different copy of element %d", p, flat)
                            .isEqualTo(Double.doubleToLongBits(out[flat]));
                }
                out[flat] = v;
                seen[flat] = true;
            }
        }
        for (boolean x : seen) assertThat(x).as("every element held by some device").isTrue();
        return make(global, out);
    }

    static HostArray make(TensorType t, double[] v) {
        if (t.elementType() instanceof FloatType) return HostArray.fromDoubles(t, v);
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = (long) v[i];
        return HostArray.fromLongs(t, l);
    }

    static List<HostArray> runGlobal(Module global, List<HostArray> inputs) {
        return new Interpreter(global).runHost("main", inputs);
    }

    static List<HostArray> runPartitioned(PartitionedProgram prog, List<HostArray> inputs) {
        List<List<RtValue>> perDevice = new ArrayList<>();
        for (int p = 0; p < prog.devices(); p++) {
            List<HostArray> mine = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) mine.add(block(inputs.get(i), prog.mesh(), prog.argShardings().get(i), p));
            perDevice.add(HostArrays.toValues(mine));
        }
        List<List<RtValue>> outs = new Interpreter(prog.module()).runParallel("main", 1, prog.devices(), perDevice);
        List<HostArray> results = new ArrayList<>();
        for (int r = 0; r < prog.resultTypes().size(); r++) {
            List<HostArray> blocks = new ArrayList<>();
            for (List<RtValue> o : outs) blocks.add(HostArrays.toHost(List.of(o.get(r))).get(0));
            results.add(assemble(blocks, prog.resultTypes().get(r), prog.mesh(), prog.resultShardings().get(r)));
        }
        return results;
    }

    static HostArray random(TensorType t, Random rnd) {
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = t.elementType() instanceof FloatType ? rnd.nextDouble() * 2 - 1 : rnd.nextInt(7);
        return make(t, v);
    }

    /**
     * Partitions the propagated module text, checks the explicit module prints, parses back and verifies, runs it
     * on its devices and compares with the global module on one device (rel err <= 1e-5 of the largest value).
     */
    static PartitionedProgram check(String propagatedText, List<HostArray> inputs) {
        Module global = MlirParser.parseModule(propagatedText, "global.mlir");
        ModuleVerifier.verify(global);
        PartitionedProgram prog = Spmd.partition(global);
        String text = MlirPrinter.print(prog.module());
        Module back;
        try {
            back = MlirParser.parseModule(text, "explicit.mlir");
            ModuleVerifier.verify(back);
        } catch (RuntimeException e) {
            throw new AssertionError("explicit module does not parse back and verify: " + e.getMessage() + "\n" + text, e);
        }
        assertThat(MlirPrinter.print(back)).isEqualTo(text);
        assertThat(text).doesNotContain("sdy.");
        List<HostArray> expected = runGlobal(global, inputs);
        List<HostArray> got;
        try {
            got = runPartitioned(prog, inputs);
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError("running the explicit module failed: " + e.getMessage() + "\n" + propagatedText + "\n" + text, e);
        }
        for (int r = 0; r < expected.size(); r++) {
            double[] e = expected.get(r).toDoubleArray(), g = got.get(r).toDoubleArray();
            double scale = 1e-30;
            for (double x : e) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < e.length; i++) {
                if (Math.abs(e[i] - g[i]) > 1e-5 * scale) {
                    throw new AssertionError("result #" + r + " element " + i + ": expected " + e[i] + " got " + g[i] + "\n"
                            + propagatedText + "\n" + text);
                }
            }
        }
        return prog;
    }
}
