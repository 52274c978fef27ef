package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Convolutions under vmap, batched lhs, rhs or both, against the per-example runs stacked: strides, padding, lhs and
 * rhs dilation, unusual layouts, feature groups and batch groups.
 */
class ConvBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private final Random r = new Random(11);

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static String conv(String lhs, String rhs, String out, String dims, String window, long fgc, long bgc) {
        return "func.func @f(%x: tensor<" + lhs + "xf64>, %k: tensor<" + rhs + "xf64>) -> tensor<" + out + "xf64> {\n"
                + "  %0 = stablehlo.convolution(%x, %k) dim_numbers = " + dims + ", window = {" + window + "} {batch_group_count = "
                + bgc + " : i64, feature_group_count = " + fgc + " : i64} : (tensor<" + lhs + "xf64>, tensor<" + rhs
                + "xf64>) -> tensor<" + out + "xf64>\n  return %0 : tensor<" + out + "xf64>\n}";
    }

    /** Checks lhs-only, rhs-only and both batched, at leading, middle and trailing batch axes. */
    private void allWays(String f, long[] lhs, long[] rhs) {
        int n = 3;
        check(f, new int[]{0, NONE}, new int[]{0}, n, List.of(u(with(lhs, 0, n)), u(rhs)));
        check(f, new int[]{lhs.length, NONE}, new int[]{2}, n, List.of(u(with(lhs, lhs.length, n)), u(rhs)));
        check(f, new int[]{NONE, 1}, new int[]{0}, n, List.of(u(lhs), u(with(rhs, 1, n))));
        check(f, new int[]{NONE, rhs.length}, new int[]{1}, n, List.of(u(lhs), u(with(rhs, rhs.length, n))));
        check(f, new int[]{1, 0}, new int[]{0}, n, List.of(u(with(lhs, 1, n)), u(with(rhs, 0, n))));
        check(f, new int[]{lhs.length, 2}, new int[]{lhs.length}, n, List.of(u(with(lhs, lhs.length, n)), u(with(rhs, 2, n))));
    }

    private static long[] with(long[] s, int at, long n) {
        long[] out = new long[s.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == at ? n : s[j++];
        return out;
    }

    @Test
    void stridesPaddingAndDilations2d() {
        String f = conv("2x6x5x3", "2x2x3x4", "2x6x2x4", "[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]",
                "stride = [2, 2], pad = [[1, 0], [0, 1]], lhs_dilate = [2, 1], rhs_dilate = [1, 2]", 1, 1);
        allWays(f, new long[]{2, 6, 5, 3}, new long[]{2, 2, 3, 4});
    }

    @Test
    void featureMajorLayoutWithTheBatchLast() {
        String f = conv("3x2x7", "4x3x2", "4x5x3", "[b, f, 0]x[o, 0, i]->[f, 0, b]", "stride = [1], pad = [[0, 0]]", 1, 1);
        allWays(f, new long[]{3, 2, 7}, new long[]{4, 3, 2});
    }

    @Test
    void featureGroups() {
        // 2 groups of 2 input features each, 2 output features per group; stride 2 with padding
        String f = conv("2x5x4", "2x2x4", "2x3x4", "[b, 0, f]x[0, i, o]->[b, 0, f]", "stride = [2], pad = [[1, 0]]", 2, 1);
        allWays(f, new long[]{2, 5, 4}, new long[]{2, 2, 4});
        // depthwise, feature-major layout: 3 groups of one feature, 2 outputs each
        String d = conv("1x3x4x4", "6x1x2x2", "1x6x3x3", "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]",
                "stride = [1, 1], pad = [[0, 0], [0, 0]]", 3, 1);
        allWays(d, new long[]{1, 3, 4, 4}, new long[]{6, 1, 2, 2});
    }

    @Test
    void batchGroups() {
        // the input batch of 4 in 2 groups: output feature group g sees input batch group g
        String f = conv("4x4x2", "2x2x4", "2x3x4", "[b, 0, f]x[0, i, o]->[b, 0, f]", "stride = [1]", 1, 2);
        allWays(f, new long[]{4, 4, 2}, new long[]{2, 2, 4});
        String t = conv("2x4x5", "4x2x2", "4x3x2", "[f, b, 0]x[o, i, 0]->[f, 0, b]", "stride = [2], pad = [[1, 1]]", 1, 2);
        allWays(t, new long[]{2, 4, 5}, new long[]{4, 2, 2});
    }

    @Test
    void theBatchIsFoldedNotLooped() {
        String f = conv("2x5x4", "2x2x4", "2x3x4", "[b, 0, f]x[0, i, o]->[b, 0, f]", "stride = [2], pad = [[1, 0]]", 2, 1);
        String both = check(f, new int[]{0, 0}, new int[]{0}, 3, List.of(u(3, 2, 5, 4), u(3, 2, 2, 4)));
        assertThat(both).containsOnlyOnce("stablehlo.convolution").contains("feature_group_count = 6");
        String lhs = check(f, new int[]{0, NONE}, new int[]{0}, 3, List.of(u(3, 2, 5, 4), u(2, 2, 4)));
        assertThat(lhs).containsOnlyOnce("stablehlo.convolution").contains("tensor<6x5x4xf64>");
    }
}
