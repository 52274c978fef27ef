package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * einsum, unary_einsum, torch_index_select, dynamic_gather and the batch_norm trio: gradients against central
 * finite differences (f64, fixed seeds, rel. error <= 1e-6).
 */
class LegacyBatchNormGradTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "ab,bc->ac; 2x3; 3x4; 2x4",      // matmul
            "bij,bjk->bki; 2x3x4; 2x4x2; 2x2x3", // batched, transposed output
            "ab,c->ca; 2x3; 4; 4x2",          // outer product after summing b away
            "abc,cb->a; 2x3x4; 4x3; 2",       // two contracted labels
    })
    void einsum(String config, String lhs, String rhs, String out) {
        String f = """
                func.func @f(%x: tensor<LSxf64>, %y: tensor<RSxf64>) -> tensor<OSxf64> {
                  %0 = "stablehlo.einsum"(%x, %y) {einsum_config = "CFG"} : (tensor<LSxf64>, tensor<RSxf64>) -> tensor<OSxf64>
                  %1 = stablehlo.sine %0 : tensor<OSxf64>
                  return %1 : tensor<OSxf64>
                }""".replace("LS", lhs).replace("RS", rhs).replace("OS", out).replace("CFG", config);
        Random r = new Random(config.hashCode());
        GradCheck.check(f, List.of(uniform(f64(dims(lhs)), r, -1, 1), uniform(f64(dims(rhs)), r, -1, 1)), 11);
    }

    @Test
    void unaryEinsum() {
        String f = """
                func.func @f(%x: tensor<2x3x4xf64>) -> tensor<4x2xf64> {
                  %0 = "stablehlo.unary_einsum"(%x) {einsum_config = "abc->ca"} : (tensor<2x3x4xf64>) -> tensor<4x2xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        GradCheck.check(f, List.of(uniform(f64(2, 3, 4), new Random(5), -1, 1)), 12);
    }

    /** Repeated indices: their cotangents add up (scatter-add). */
    @ParameterizedTest(name = "dim={0} batch_dims={1}")
    @CsvSource({"0, 0, 4x3, 5, 5x3", "1, 0, 2x4x3, 2x2, 2x2x2x3", "1, 1, 2x4x3, 2x5, 2x5x3"})
    void torchIndexSelect(int dim, int batchDims, String xs, String is, String os) {
        String f = """
                func.func @f(%x: tensor<XSxf64>, %i: tensor<ISxi64>) -> tensor<OSxf64> {
                  %0 = "stablehlo.torch_index_select"(%x, %i) {dim = DIM : i64, batch_dims = BD : i64} : (tensor<XSxf64>, tensor<ISxi64>) -> tensor<OSxf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<OSxf64>
                  return %1 : tensor<OSxf64>
                }""".replace("XS", xs).replace("IS", is).replace("OS", os).replace("DIM", "" + dim).replace("BD", "" + batchDims);
        Random r = new Random(dim * 31 + batchDims);
        long[] xd = dims(xs), id = dims(is);
        long[] idx = new long[(int) java.util.Arrays.stream(id).reduce(1, (p, q) -> p * q)];
        for (int k = 0; k < idx.length; k++) idx[k] = r.nextInt((int) xd[dim]);
        GradCheck.check(f, List.of(uniform(f64(xd), r, -1, 1), HostArray.fromLongs(io.hlo4j.mlir.types.TensorType.of(
                io.hlo4j.mlir.types.IntegerType.I64, id), idx)), 13);
    }

    @Test
    void dynamicGather() {
        String f = """
                func.func @f(%x: tensor<5x3xf64>, %i: tensor<4x1xi64>) -> tensor<4x2xf64> {
                  %s = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
                  %0 = "stablehlo.dynamic_gather"(%x, %i, %s) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>} : (tensor<5x3xf64>, tensor<4x1xi64>, tensor<2xi64>) -> tensor<4x2xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<4x2xf64>
                  return %1 : tensor<4x2xf64>
                }""";
        HostArray idx = HostArray.fromLongs(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, 4, 1), 3, 0, 3, 1);
        GradCheck.check(f, List.of(uniform(f64(5, 3), new Random(6), -1, 1), idx), 14);
    }

    @ParameterizedTest(name = "feature_index={0}")
    @CsvSource({"1", "2"})
    void batchNormTraining(int feature) {
        // Every result used, so the cotangents of the batch mean and variance reach x too.
        String f = """
                func.func @f(%x: tensor<4x3x2xf64>, %s: tensor<CCxf64>, %o: tensor<CCxf64>) -> (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>) {
                  %y, %m, %v = "stablehlo.batch_norm_training"(%x, %s, %o) {epsilon = 0.0625 : f32, feature_index = FI : i64} : (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>) -> (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>)
                  %1 = stablehlo.multiply %y, %y : tensor<4x3x2xf64>
                  return %1, %m, %v : tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>
                }""".replace("CC", feature == 1 ? "3" : "2").replace("FI", "" + feature);
        long c = feature == 1 ? 3 : 2;
        Random r = new Random(40 + feature);
        GradCheck.check(f, List.of(uniform(f64(4, 3, 2), r, -2, 2), uniform(f64(c), r, 0.5, 2), uniform(f64(c), r, -1, 1)), 15);
    }

    @Test
    void batchNormInference() {
        String f = """
                func.func @f(%x: tensor<4x3xf64>, %s: tensor<3xf64>, %o: tensor<3xf64>, %m: tensor<3xf64>, %v: tensor<3xf64>) -> tensor<4x3xf64> {
                  %y = "stablehlo.batch_norm_inference"(%x, %s, %o, %m, %v) {epsilon = 0.0625 : f32, feature_index = 1 : i64} : (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) -> tensor<4x3xf64>
                  %1 = stablehlo.multiply %y, %y : tensor<4x3xf64>
                  return %1 : tensor<4x3xf64>
                }""";
        Random r = new Random(50);
        GradCheck.check(f, List.of(uniform(f64(4, 3), r, -2, 2), uniform(f64(3), r, 0.5, 2), uniform(f64(3), r, -1, 1),
                uniform(f64(3), r, -1, 1), uniform(f64(3), r, 0.5, 2)), 16);
    }

    @Test
    void batchNormGrad() {
        String f = """
                func.func @f(%x: tensor<4x3xf64>, %s: tensor<3xf64>, %m: tensor<3xf64>, %v: tensor<3xf64>, %g: tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>) {
                  %gx, %gs, %go = "stablehlo.batch_norm_grad"(%x, %s, %m, %v, %g) {epsilon = 0.0625 : f32, feature_index = 1 : i64} : (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>)
                  return %gx, %gs, %go : tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>
                }""";
        Random r = new Random(60);
        GradCheck.check(f, List.of(uniform(f64(4, 3), r, -2, 2), uniform(f64(3), r, 0.5, 2), uniform(f64(3), r, -1, 1),
                uniform(f64(3), r, 0.5, 2), uniform(f64(4, 3), r, -1, 1)), 17);
    }

    private static long[] dims(String s) {
        return java.util.Arrays.stream(s.split("x")).mapToLong(Long::parseLong).toArray();
    }
}
