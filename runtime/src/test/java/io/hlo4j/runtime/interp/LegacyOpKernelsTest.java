package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * einsum/unary_einsum against numpy.einsum (fixtures/special/einsum.txt from scripts/gen_special_fixtures.py),
 * torch_index_select, cross-replica-sum, set_dimension_size and rng against hand-derived values and properties.
 */
class LegacyOpKernelsTest {
    static final FloatType F32 = FloatType.F32;

    static long[] dims(String s) { return Arrays.stream(s.split("x")).mapToLong(Long::parseLong).toArray(); }

    static double[] values(String s) { return Arrays.stream(s.split(",")).mapToDouble(Double::parseDouble).toArray(); }

    @Test
    void einsumMatchesNumpy() throws Exception {
        Path p = Path.of(LegacyOpKernelsTest.class.getResource("/fixtures/special/einsum.txt").toURI());
        int n = 0;
        for (String line : Files.readAllLines(p)) {
            if (line.isBlank()) continue;
            String[] f = line.split(" \\| ");
            String cfg = f[0];
            String[] shapes = f[1].split(";"), vals = f[2].split(";");
            double[] expected = values(f[3]);
            List<Tensor> ins = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) ins.add(Ir.reals(F32, dims(shapes[i]), values(vals[i])));
            // the result shape: each output label's size, read from the operands
            String out = cfg.substring(cfg.indexOf("->") + 2);
            String[] terms = cfg.substring(0, cfg.indexOf("->")).split(",");
            long[] os = new long[out.length()];
            for (int d = 0; d < os.length; d++) {
                for (int i = 0; i < terms.length; i++) {
                    int k = terms[i].indexOf(out.charAt(d));
                    if (k >= 0) os[d] = ins.get(i).shape[k];
                }
            }
            Ir ir = new Ir();
            List<Value> args = new ArrayList<>();
            for (Tensor x : ins) args.add(ir.arg(x.type));
            String op = ins.size() == 1 ? "stablehlo.unary_einsum" : "stablehlo.einsum";
            Value r = ir.op(op, args, t(F32, os), "einsum_config", new StringAttr(cfg));
            Tensor got = (Tensor) Ir.run(ir.func("main", r), ins.toArray(RtValue[]::new)).get(0);
            assertThat(got.re).as(cfg).containsExactly(expected);
            n++;
        }
        assertThat(n).isEqualTo(9);
    }

    @Test
    void einsumOnIntegersWrapsAndRefusesEllipsis() {
        Tensor a = Ir.ints(IntegerType.I8, shape(2), 100, 2), b = Ir.ints(IntegerType.I8, shape(2), 2, 3);
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        Operation f = ir.func("main", ir.op("stablehlo.einsum", List.of(x, y), t(IntegerType.I8), "einsum_config", new StringAttr("i,i->")));
        assertThat(((Tensor) Ir.run(f, a, b).get(0)).ints).containsExactly(206 - 256); // 200 + 6 wraps in i8
        Ir ir2 = new Ir();
        Value x2 = ir2.arg(a.type), y2 = ir2.arg(b.type);
        Operation g = ir2.func("main", ir2.op("stablehlo.einsum", List.of(x2, y2), t(IntegerType.I8), "einsum_config", new StringAttr("...i,...i->...")));
        assertThatThrownBy(() -> Ir.run(g, a, b)).hasMessageContaining("stablehlo.einsum").hasMessageContaining("...");
    }

    static Tensor indexSelect(Tensor x, Tensor idx, TensorType rt, long dim, long batchDims) {
        Ir ir = new Ir();
        Value a = ir.arg(x.type), i = ir.arg(idx.type);
        Operation f = ir.func("main", ir.op("stablehlo.torch_index_select", List.of(a, i), rt, "dim", Ir.i64(dim), "batch_dims", Ir.i64(batchDims)));
        return (Tensor) Ir.run(f, x, idx).get(0);
    }

    @Test
    void torchIndexSelect() {
        Tensor x = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6);
        // dim 1, index [[2, 0]]: result[r, a, b] = x[r, idx[a, b]]
        Tensor r = indexSelect(x, Ir.ints(IntegerType.I32, shape(1, 2), 2, 0), t(F32, 2, 1, 2), 1, 0);
        assertThat(r.re).containsExactly(3, 1, 6, 4);
        // dim 0, index [1, 1, 0]: rows picked
        assertThat(indexSelect(x, Ir.ints(IntegerType.I64, shape(3), 1, 1, 0), t(F32, 3, 3), 0, 0).re)
                .containsExactly(4, 5, 6, 4, 5, 6, 1, 2, 3);
        // batch_dims 1: each row picks with its own indices, result[b, k] = x[b, idx[b, k]]
        assertThat(indexSelect(x, Ir.ints(IntegerType.I32, shape(2, 2), 0, 2, 1, 1), t(F32, 2, 2), 1, 1).re)
                .containsExactly(1, 3, 5, 5);
        assertThatThrownBy(() -> indexSelect(x, Ir.ints(IntegerType.I32, shape(1), 3), t(F32, 2, 1), 1, 0))
                .hasMessageContaining("stablehlo.torch_index_select").hasMessageContaining("index 3 is out of range [0, 3)");
    }

    @Test
    void crossReplicaSumAddsWithinReplicaGroups() {
        TensorType ty = t(F32, 2);
        for (long[][] groups : List.of(new long[][] {{0, 1}, {2, 3}}, new long[0][])) {
            Ir ir = new Ir();
            Value x = ir.arg(ty);
            Value r = groups.length == 0 ? ir.op("stablehlo.cross-replica-sum", List.of(x), ty)
                    : ir.op("stablehlo.cross-replica-sum", List.of(x), ty, "replica_groups", CollectiveKernelsTest.groups(groups));
            List<Tensor> in = new ArrayList<>();
            for (int d = 0; d < 4; d++) in.add(Ir.reals(F32, shape(2), d, 0.5 * d));
            var out = CollectiveKernelsTest.runOn(ir.func("main", r), 4, 1, in);
            for (int d = 0; d < 4; d++) {
                double s = groups.length == 0 ? 6 : d < 2 ? 1 : 5;
                assertThat(((Tensor) out.get(d).get(0)).re).containsExactly(s, 0.5 * s);
            }
        }
    }

    static Tensor setSize(Tensor x, long size, long dim) {
        Ir ir = new Ir();
        Value a = ir.arg(x.type), s = ir.arg(t(IntegerType.I32));
        Operation f = ir.func("main", ir.op("stablehlo.set_dimension_size", List.of(a, s), x.type, "dimension", Ir.i64(dim)));
        return (Tensor) Ir.run(f, x, Ir.ints(IntegerType.I32, shape(), size)).get(0);
    }

    @Test
    void setDimensionSizeKeepsStaticShapesAndRefusesDynamicOnes() {
        Tensor x = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6);
        assertThat(setSize(x, 3, 1).re).containsExactly(1, 2, 3, 4, 5, 6);
        assertThatThrownBy(() -> setSize(x, 2, 1)).hasMessageContaining("stablehlo.set_dimension_size")
                .hasMessageContaining("size 2 for dimension 1 of tensor<2x3xf32>").hasMessageContaining("static shapes only");
    }

    /** Two rng ops in one program: returns both results. */
    static List<RtValue> rng(String dist, Tensor a, Tensor b, TensorType rt) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        TensorType st = t(IntegerType.I64, rt.rank());
        Value shp = ir.op("stablehlo.constant", List.of(), st, "value", io.hlo4j.mlir.attr.DenseElementsAttr.of(st,
                Bytes.encode(Ir.ints(IntegerType.I64, shape(rt.rank()), rt.shape()))));
        Object[] props = {"rng_distribution", Ir.text("#stablehlo<rng_distribution " + dist + ">")};
        Value r1 = ir.op("stablehlo.rng", List.of(x, y, shp), rt, props), r2 = ir.op("stablehlo.rng", List.of(x, y, shp), rt, props);
        return Ir.run(ir.func("main", r1, r2), a, b);
    }

    @Test
    void rngUniformAndNormalAreDeterministicAndHaveTheirMoments() {
        int n = 8192;
        TensorType rt = t(F32, n);
        List<RtValue> u = rng("UNIFORM", Ir.reals(F32, shape(), 2), Ir.reals(F32, shape(), 5), rt);
        double[] u1 = ((Tensor) u.get(0)).re, u2 = ((Tensor) u.get(1)).re;
        for (double v : u1) assertThat(v).isGreaterThanOrEqualTo(2).isLessThan(5);
        assertThat(Arrays.stream(u1).average().orElseThrow()).isCloseTo(3.5, org.assertj.core.data.Offset.offset(0.05)); // sd 0.0096
        assertThat(u1).isNotEqualTo(u2); // successive calls differ
        List<RtValue> again = rng("UNIFORM", Ir.reals(F32, shape(), 2), Ir.reals(F32, shape(), 5), rt);
        assertThat(((Tensor) again.get(0)).re).containsExactly(u1); // reruns repeat

        double[] g = ((Tensor) rng("NORMAL", Ir.reals(F32, shape(), 1), Ir.reals(F32, shape(), 2), rt).get(0)).re;
        double mean = Arrays.stream(g).average().orElseThrow();
        double var = Arrays.stream(g).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
        assertThat(mean).isCloseTo(1, org.assertj.core.data.Offset.offset(0.1)); // sd of the mean 0.022
        assertThat(Math.sqrt(var)).isCloseTo(2, org.assertj.core.data.Offset.offset(0.1)); // sd of the sd ~0.016

        TensorType it = t(IntegerType.I32, 4096);
        long[] k = ((Tensor) rng("UNIFORM", Ir.ints(IntegerType.I32, shape(), -3), Ir.ints(IntegerType.I32, shape(), 4), it).get(0)).ints;
        int[] counts = new int[7];
        for (long v : k) {
            assertThat(v).isBetween(-3L, 3L);
            counts[(int) v + 3]++;
        }
        for (int c : counts) assertThat(c).isBetween(480, 690); // expected 585, sd 22
        assertThatThrownBy(() -> rng("NORMAL", Ir.ints(IntegerType.I32, shape(), 0), Ir.ints(IntegerType.I32, shape(), 1), it))
                .hasMessageContaining("stablehlo.rng");
    }
}
