package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.compiler.spmd.ShardingRuleFactory;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rule of sample ops printed as {@code #sdy.op_sharding_rule}, compared with what Shardy's registry builds
 * for the same op (expected strings written from Shardy's rule definitions), and the registry walk.
 */
class ShardingRulesTest {

    /** Every op of the registry has a rule or is exempt by name; exempt names exist and carry no rule. */
    @Test
    void everyRegisteredOpHasARuleOrIsExempt() {
        ShardingRules.install();
        ShardingRules.install(); // idempotent
        List<String> missing = new ArrayList<>();
        for (OpDef d : OpRegistry.global().all()) {
            boolean has = d.extension(ShardingRuleFactory.class) != null;
            boolean exempt = ShardingRules.EXEMPT.contains(d.name());
            if (has == exempt) missing.add(d.name() + (has ? " (exempt but has a rule)" : ""));
        }
        assertThat(missing).isEmpty();
        for (String n : ShardingRules.EXEMPT) assertThat(OpRegistry.global().lookup(n)).as(n).isNotNull();
        assertThat(OpRegistry.global().all().size()).isGreaterThan(150);
    }

    /** The first op of {@code @f}'s body (after any constants named %c...). */
    static Operation firstOp(String func, String opName) {
        Module m = MlirParser.parseModule("module {\n" + func + "\n}", "rule-test.mlir");
        List<Operation> found = new ArrayList<>();
        io.hlo4j.mlir.ir.Walker.walk(m.op(), op -> { if (op.name().equals(opName) && found.isEmpty()) found.add(op); });
        assertThat(found).as(opName).isNotEmpty();
        return found.get(0);
    }

    static String rule(String func, String opName) { return ShardingRules.of(firstOp(func, opName)).toString(); }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        stablehlo.dot_general | %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x32xf32>, tensor<32x16xf32>) -> tensor<8x16xf32> | a: tensor<8x32xf32>, b: tensor<32x16xf32> | #sdy.op_sharding_rule<([i, k], [k, j])->([i, j]) {i=8, j=16, k=32} reduction={k}>
        stablehlo.dot_general | %0 = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<4x8x32xf32>, tensor<4x32x16xf32>) -> tensor<4x8x16xf32> | a: tensor<4x8x32xf32>, b: tensor<4x32x16xf32> | #sdy.op_sharding_rule<([i, j, l], [i, l, k])->([i, j, k]) {i=4, j=8, k=16, l=32} reduction={l}>
        stablehlo.add | %0 = stablehlo.add %a, %a : tensor<2x1x4xf32> | a: tensor<2x1x4xf32> | #sdy.op_sharding_rule<([i, j, k], [i, j, k])->([i, j, k]) {i=2, j=1, k=4}>
        stablehlo.add | %0 = stablehlo.add %a, %a : tensor<f32> | a: tensor<f32> | #sdy.op_sharding_rule<([], [])->([])>
        stablehlo.select | %0 = stablehlo.select %p, %a, %a : tensor<i1>, tensor<4x8xf32> | p: tensor<i1>, a: tensor<4x8xf32> | #sdy.op_sharding_rule<([], [i, j], [i, j])->([i, j]) {i=4, j=8}>
        stablehlo.clamp | %0 = stablehlo.clamp %s, %a, %s : (tensor<f32>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32> | s: tensor<f32>, a: tensor<4x8xf32> | #sdy.op_sharding_rule<([], [i, j], [])->([i, j]) {i=4, j=8}>
        stablehlo.compare | %0 = stablehlo.compare GT, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1> | a: tensor<4x8xf32> | #sdy.op_sharding_rule<([i, j], [i, j])->([i, j]) {i=4, j=8}>
        stablehlo.convert | %0 = stablehlo.convert %a : (tensor<4x8xf32>) -> tensor<4x8xbf16> | a: tensor<4x8xf32> | #sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=8}>
        stablehlo.broadcast_in_dim | %0 = stablehlo.broadcast_in_dim %a, dims = [0, 2, 3] : (tensor<2x13x1xf32>) -> tensor<2x64x13x1xf32> | a: tensor<2x13x1xf32> | #sdy.op_sharding_rule<([i, k, l])->([i, j, k, l]) {i=2, j=64, k=13, l=1}>
        stablehlo.broadcast_in_dim | %0 = stablehlo.broadcast_in_dim %a, dims = [0, 1, 2] : (tensor<2x1x13xf32>) -> tensor<2x64x13xf32> | a: tensor<2x1x13xf32> | #sdy.op_sharding_rule<([i, j, l])->([i, k, l]) {i=2, j=1, k=64, l=13}>
        stablehlo.broadcast_in_dim | %0 = stablehlo.broadcast_in_dim %a, dims = [] : (tensor<f32>) -> tensor<2x1x13xf32> | a: tensor<f32> | #sdy.op_sharding_rule<([])->([i, j, k]) {i=2, j=1, k=13}>
        stablehlo.reshape | %0 = stablehlo.reshape %a : (tensor<8x6xf32>) -> tensor<48xf32> | a: tensor<8x6xf32> | #sdy.op_sharding_rule<([i, j])->([ij]) {i=8, j=6}>
        stablehlo.reshape | %0 = stablehlo.reshape %a : (tensor<48xf32>) -> tensor<8x6xf32> | a: tensor<48xf32> | #sdy.op_sharding_rule<([ij])->([i, j]) {i=8, j=6}>
        stablehlo.reshape | %0 = stablehlo.reshape %a : (tensor<4x6xf32>) -> tensor<3x8xf32> | a: tensor<4x6xf32> | #sdy.op_sharding_rule<([i, lm])->([j, km]) {i=4, j=3, k=4, l=3, m=2}>
        stablehlo.reshape | %0 = stablehlo.reshape %a : (tensor<6x4xf32>) -> tensor<2x12xf32> | a: tensor<6x4xf32> | #sdy.op_sharding_rule<([ij, k])->([i, jk]) {i=2, j=3, k=4}>
        stablehlo.reshape | %0 = stablehlo.reshape %a : (tensor<1x4x1xf32>) -> tensor<4xf32> | a: tensor<1x4x1xf32> | #sdy.op_sharding_rule<([i, j, k])->([j]) {i=1, j=4, k=1}>
        stablehlo.transpose | %0 = stablehlo.transpose %a, dims = [2, 0, 1] : (tensor<2x4x8xf32>) -> tensor<8x2x4xf32> | a: tensor<2x4x8xf32> | #sdy.op_sharding_rule<([j, k, i])->([i, j, k]) {i=8, j=2, k=4}>
        stablehlo.reduce | %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x64x13xf32>, tensor<f32>) -> tensor<2x13xf32> | a: tensor<2x64x13xf32>, z: tensor<f32> | #sdy.op_sharding_rule<([i, j, k], [])->([i, k]) {i=2, j=64, k=13} reduction={j}>
        stablehlo.concatenate | %0 = stablehlo.concatenate %a, %b, dim = 1 : (tensor<4x8xf32>, tensor<4x24xf32>) -> tensor<4x32xf32> | a: tensor<4x8xf32>, b: tensor<4x24xf32> | #sdy.op_sharding_rule<([i, j], [i, j])->([i, j]) {i=4, j=32} permutation={j}>
        stablehlo.slice | %0 = stablehlo.slice %a [0:32, 0:4:2, 4:12] : (tensor<32x8x16xf32>) -> tensor<32x2x8xf32> | a: tensor<32x8x16xf32> | #sdy.op_sharding_rule<([i, j, k])->([i, j, k]) {i=32, j=8, k=16} need_replication={j, k}>
        stablehlo.pad | %0 = stablehlo.pad %a, %z, low = [0, 1], high = [0, 2], interior = [0, 0] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x11xf32> | a: tensor<4x8xf32>, z: tensor<f32> | #sdy.op_sharding_rule<([i, j], [])->([i, j]) {i=4, j=8} need_replication={j}>
        stablehlo.reverse | %0 = stablehlo.reverse %a, dims = [1] : tensor<4x8xf32> | a: tensor<4x8xf32> | #sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=8} need_replication={j}>
        stablehlo.iota | %0 = stablehlo.iota dim = 1 : tensor<4x8xi32> | a: tensor<f32> | #sdy.op_sharding_rule<()->([i, j]) {i=4, j=8}>
        stablehlo.dynamic_slice | %0 = stablehlo.dynamic_slice %a, %i, %i, sizes = [32, 4] : (tensor<32x8xf32>, tensor<i32>, tensor<i32>) -> tensor<32x4xf32> | a: tensor<32x8xf32>, i: tensor<i32> | #sdy.op_sharding_rule<([i, j], [], [])->([i, j]) {i=32, j=8} need_replication={j} blocked_propagation={j}>
        stablehlo.dynamic_update_slice | %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<32x8xf32>, tensor<32x2xf32>, tensor<i32>, tensor<i32>) -> tensor<32x8xf32> | a: tensor<32x8xf32>, u: tensor<32x2xf32>, i: tensor<i32> | #sdy.op_sharding_rule<([i, j], [i, k], [], [])->([i, j]) {i=32, j=8, k=2} need_replication={k}>
        stablehlo.sort | %0 = "stablehlo.sort"(%a) <{dimension = 0 : i64}> ({ ^bb0(%x: tensor<f32>, %y: tensor<f32>): %c = stablehlo.compare GT, %x, %y : (tensor<f32>, tensor<f32>) -> tensor<i1>  stablehlo.return %c : tensor<i1> }) : (tensor<4x32xf32>) -> tensor<4x32xf32> | a: tensor<4x32xf32> | #sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=32} need_replication={i}>
        stablehlo.all_gather | %0 = "stablehlo.all_gather"(%a) <{all_gather_dim = 1 : i64, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>}> : (tensor<2x2xi64>) -> tensor<2x4xi64> | a: tensor<2x2xi64> | #sdy.op_sharding_rule<([i, j])->([i, k]) {i=2, j=2, k=4} need_replication={j, k}>
        stablehlo.rng | %0 = stablehlo.rng %s, %s, %n, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<2xi64>) -> tensor<4x8xf32> | s: tensor<f32>, n: tensor<2xi64> | #sdy.op_sharding_rule<([], [], [i])->([j, k]) {i=2, j=4, k=8} need_replication={i, j, k} blocked_propagation={i, j, k}>
        """)
    void ruleMatchesShardy(String opName, String body, String args, String expected) {
        String sig = java.util.Arrays.stream(args.split(",\\s*(?=[a-z]+:)")).map(a -> "%" + a.trim()).reduce((x, y) -> x + ", " + y).orElse("");
        String func = "func.func @f(" + sig + ") {\n  " + body + "\n  return\n}";
        assertThat(rule(func, opName)).isEqualTo(expected);
    }

    /** More ops, each expectation derived by hand from the factor order Shardy's builder uses. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        stablehlo.dot | %0 = stablehlo.dot %v, %m : (tensor<16xf32>, tensor<16x8xf32>) -> tensor<8xf32> | v: tensor<16xf32>, m: tensor<16x8xf32> | #sdy.op_sharding_rule<([j], [j, i])->([i]) {i=8, j=16} reduction={j}>
        stablehlo.reduce_scatter | %0 = "stablehlo.reduce_scatter"(%a) ({ ^bb0(%x: tensor<f32>, %y: tensor<f32>): %s = stablehlo.add %x, %y : tensor<f32>  stablehlo.return %s : tensor<f32> }) {scatter_dimension = 1 : i64, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>} : (tensor<4x32xf32>) -> tensor<4x16xf32> | a: tensor<4x32xf32> | #sdy.op_sharding_rule<([i, j])->([i, k]) {i=4, j=32, k=16} need_replication={j, k}>
        stablehlo.fft | %0 = stablehlo.fft %a, type = RFFT, length = [16] : (tensor<4x16xf32>) -> tensor<4x9xcomplex<f32>> | a: tensor<4x16xf32> | #sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=16} need_replication={j} blocked_propagation={j}>
        chlo.broadcast_add | %0 = chlo.broadcast_add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> | a: tensor<4x8xf32>, b: tensor<8xf32> | #sdy.op_sharding_rule<([i, j], [j])->([i, j]) {i=4, j=8}>
        chlo.broadcast_add | %0 = chlo.broadcast_add %a, %b : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32> | a: tensor<4x8xf32>, b: tensor<1x8xf32> | #sdy.op_sharding_rule<([i, j], [k, j])->([i, j]) {i=4, j=8, k=1}>
        chlo.top_k | %v, %i = chlo.top_k(%a, k = 2) : tensor<4x16xf32> -> (tensor<4x2xf32>, tensor<4x2xi32>) | a: tensor<4x16xf32> | #sdy.op_sharding_rule<([i, j])->([i, j], [i, j]) {i=4, j=16} need_replication={j} blocked_propagation={j}>
        stablehlo.reduce_window | %0 = "stablehlo.reduce_window"(%a, %z) ({ ^bb0(%x: tensor<f32>, %y: tensor<f32>): %m = stablehlo.maximum %x, %y : tensor<f32>  stablehlo.return %m : tensor<f32> }) {window_dimensions = array<i64: 2, 1>, window_strides = array<i64: 2, 1>} : (tensor<8x16xf32>, tensor<f32>) -> tensor<4x16xf32> | a: tensor<8x16xf32>, z: tensor<f32> | #sdy.op_sharding_rule<([i, j], [])->([i, j]) {i=4, j=16} permutation={i}>
        stablehlo.scatter | %0 = "stablehlo.scatter"(%a, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({ ^bb0(%x: tensor<f32>, %y: tensor<f32>): %s = stablehlo.add %x, %y : tensor<f32>  stablehlo.return %s : tensor<f32> }) : (tensor<8x4xf32>, tensor<3x1xi32>, tensor<3x4xf32>) -> tensor<8x4xf32> | a: tensor<8x4xf32>, i: tensor<3x1xi32>, u: tensor<3x4xf32> | #sdy.op_sharding_rule<([k, j], [i, l], [i, j])->([k, j]) {i=3, j=4, k=8, l=1} reduction={i} need_replication={l}>
        chlo.ragged_dot | %0 = "chlo.ragged_dot"(%l, %r, %g) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (tensor<16x8xf32>, tensor<4x8x32xf32>, tensor<4xi64>) -> tensor<16x32xf32> | l: tensor<16x8xf32>, r: tensor<4x8x32xf32>, g: tensor<4xi64> | #sdy.op_sharding_rule<([i, l], [j, l, k], [m])->([i, k]) {i=16, j=4, k=32, l=8, m=4} reduction={j, l} need_replication={i, m}>
        """)
    void moreRules(String opName, String body, String args, String expected) {
        ruleMatchesShardy(opName, body, args, expected);
    }

    @Test
    void gatherOfRowsIsAReductionOverTheIndexedDimension() {
        String f = """
            func.func @f(%a: tensor<8x16xf32>, %i: tensor<4x1xi32>) -> tensor<4x16xf32> {
              %0 = "stablehlo.gather"(%a, %i) <{dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 16>}> : (tensor<8x16xf32>, tensor<4x1xi32>) -> tensor<4x16xf32>
              return %0 : tensor<4x16xf32>
            }""";
        // batch (indices dim 0, result dim 0), offset dim 16 passes through, collapsed dim 8 is a reduction,
        // index vector dim needs replication
        assertThat(rule(f, "stablehlo.gather"))
                .isEqualTo("#sdy.op_sharding_rule<([k, j], [i, l])->([i, j]) {i=4, j=16, k=8, l=1} reduction={k} need_replication={l}>");
    }

    /**
     * Where hlo4j departs from Shardy (which passes j through): a scatter window as wide as a dimension the indices
     * address needs replication, since scatter bounds-checks each element and a window starting at 1 writes row 0 of the
     * window into row 1 (GatherScatterWindowPartitionTest runs it). The unaddressed dimension k still passes through, and
     * so does gather's whole slice, whose start is clamped to 0.
     */
    @Test
    void scatterOfWholeWindowsIntoAddressedRowsNeedsReplication() {
        String scatter = """
            func.func @f(%a: tensor<4x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x4x3xf32>) -> tensor<4x3xf32> {
              %0 = "stablehlo.scatter"(%a, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
              ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                %s = stablehlo.add %x, %y : tensor<f32>
                stablehlo.return %s : tensor<f32>
              }) : (tensor<4x3xf32>, tensor<2x1xi32>, tensor<2x4x3xf32>) -> tensor<4x3xf32>
              return %0 : tensor<4x3xf32>
            }""";
        assertThat(rule(scatter, "stablehlo.scatter"))
                .isEqualTo("#sdy.op_sharding_rule<([j, k], [i, l], [i, j, k])->([j, k]) {i=2, j=4, k=3, l=1} reduction={i} need_replication={j, l}>");
        String gather = """
            func.func @f(%a: tensor<4x3xf32>, %i: tensor<2x1xi32>) -> tensor<2x4x3xf32> {
              %0 = "stablehlo.gather"(%a, %i) <{dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 4, 3>}> : (tensor<4x3xf32>, tensor<2x1xi32>) -> tensor<2x4x3xf32>
              return %0 : tensor<2x4x3xf32>
            }""";
        assertThat(rule(gather, "stablehlo.gather")).isEqualTo("#sdy.op_sharding_rule<([j, k], [i, l])->([i, j, k]) {i=2, j=4, k=3, l=1} need_replication={l}>");
    }

    @Test
    void convolutionSpatialDimensionsNeedReplication() {
        String f = """
            func.func @f(%x: tensor<2x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<2x6x6x16xf32> {
              %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<2x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<2x6x6x16xf32>
              return %0 : tensor<2x6x6x16xf32>
            }""";
        assertThat(rule(f, "stablehlo.convolution")).isEqualTo("#sdy.op_sharding_rule<([i, j, m, p], [k, n, p, q])->([i, l, o, q])"
                + " {i=2, j=8, k=3, l=6, m=8, n=3, o=6, p=3, q=16} reduction={p} need_replication={j, k, l, m, n, o}>");
    }

    @Test
    void customCallsByTargetAndRulesWrittenOnTheOp() {
        String eigh = """
            func.func @f(%a: tensor<8x4x4xf32>) {
              %0:2 = stablehlo.custom_call @Eigh(%a) : (tensor<8x4x4xf32>) -> (tensor<8x4x4xf32>, tensor<8x4xf32>)
              return
            }""";
        assertThat(rule(eigh, "stablehlo.custom_call")).isEqualTo("#sdy.op_sharding_rule<([i, j, k])->([i, j, k], [i, k]) {i=8, j=4, k=4}>");
        String opaque = """
            func.func @f(%a: tensor<4x2xf32>) {
              %0 = stablehlo.custom_call @my_kernel(%a) : (tensor<4x2xf32>) -> tensor<2xf32>
              return
            }""";
        assertThat(rule(opaque, "stablehlo.custom_call"))
                .isEqualTo("#sdy.op_sharding_rule<([i, j])->([k]) {i=4, j=2, k=2} need_replication={i, j, k} blocked_propagation={i, j, k}>");
        String own = """
            func.func @f(%a: tensor<4x2xf32>) {
              %0 = stablehlo.custom_call @my_kernel(%a) {sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([j, i]) {i=4, j=2}, custom>} : (tensor<4x2xf32>) -> tensor<2x4xf32>
              return
            }""";
        assertThat(rule(own, "stablehlo.custom_call")).isEqualTo("#sdy.op_sharding_rule<([i, j])->([j, i]) {i=4, j=2}, custom>");
    }

    @Test
    void exemptAndRegionOpsAreHandledByName() {
        Operation ret = firstOp("func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n return %a : tensor<4xf32>\n}", "func.return");
        assertThatThrownBy(() -> ShardingRules.of(ret)).isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("no sharding rule for 'func.return': it holds no tensors of its own");
        assertThat(ShardingRules.hasRule(ret)).isFalse();
        String w = """
            func.func @f(%a: tensor<4x8xf32>, %n: tensor<i32>) -> tensor<4x8xf32> {
              %0:2 = stablehlo.while(%x = %a, %k = %n) : tensor<4x8xf32>, tensor<i32>
                cond {
                  %c = stablehlo.compare LT, %k, %k : (tensor<i32>, tensor<i32>) -> tensor<i1>
                  stablehlo.return %c : tensor<i1>
                } do {
                  stablehlo.return %x, %k : tensor<4x8xf32>, tensor<i32>
                }
              return %0#0 : tensor<4x8xf32>
            }""";
        assertThat(rule(w, "stablehlo.while")).isEqualTo("#sdy.op_sharding_rule<([i, j], [])->([i, j], []) {i=4, j=8}>");
    }
}
