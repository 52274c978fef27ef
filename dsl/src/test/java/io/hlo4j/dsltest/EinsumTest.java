package io.hlo4j.dsltest;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;

/** einsum forms beyond a single matmul, each against explicit loops. */
class EinsumTest {
    static final double[] A = random(21, 6), B = random(22, 12), C = random(23, 8);

    @Test
    void threeOperandsSummedLettersAndOuterProduct() {
        HostArray a = f64(s(2, 3), A), b = f64(s(3, 4), B), c = f64(s(4, 2), C);
        List<HostArray> r = run(t -> List.of(
                Linalg.einsum("ij,jk,kl->il", (Tensor) t[0], (Tensor) t[1], (Tensor) t[2]),
                Linalg.einsum("ij,jk->k", (Tensor) t[0], (Tensor) t[1]),
                Linalg.einsum("i,j->ij", Ops.reshape((Tensor) t[0], 6), Ops.reshape((Tensor) t[2], 8)),
                Linalg.einsum("ij->", (Tensor) t[0])), a, b, c);
        double[] abc = new double[4], k = new double[4], outer = new double[48];
        double total = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) {
            total += A[i * 3 + j];
            for (int kk = 0; kk < 4; kk++) {
                double ab = A[i * 3 + j] * B[j * 4 + kk];
                k[kk] += ab;
                for (int l = 0; l < 2; l++) abc[i * 2 + l] += ab * C[kk * 2 + l];
            }
        }
        for (int i = 0; i < 6; i++) for (int j = 0; j < 8; j++) outer[i * 8 + j] = A[i] * C[j];
        assertClose(r.get(0), abc, 1e-12);
        assertClose(r.get(1), k, 1e-12);
        assertClose(r.get(2), outer, 1e-12);
        assertClose(r.get(3), new double[]{total}, 1e-12);
    }

    @Test
    void genericOpEmission() {
        HostArray x = f64(s(3), -2, 0.5, 9);
        HostArray r = run1(t -> Ops.op("stablehlo.clamp", List.of(Ops.scalar(0, io.hlo4j.dsl.DType.F64), (Tensor) t[0],
                Ops.scalar(1, io.hlo4j.dsl.DType.F64)), java.util.Map.of(), null).get(0), x);
        assertClose(r, new double[]{0, 0.5, 1}, 0);
    }
}
