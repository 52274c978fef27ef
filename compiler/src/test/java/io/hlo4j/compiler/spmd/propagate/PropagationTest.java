package io.hlo4j.compiler.spmd.propagate;

import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Propagation on small hand-checked programs: each expected sharding is worked out from the op's factors by hand. */
class PropagationTest {
    static final String MESH = "sdy.mesh @mesh = <[\"x\"=4, \"y\"=2]>\n";

    static Propagated run(String body) {
        Module m = MlirParser.parseModule("module {\n" + MESH + body + "\n}", "prop.mlir");
        Propagated p = Propagation.propagate(m);
        checkContract(p.module());
        return p;
    }

    /** Verifies, prints, parses back to the same text, and every op result in every function has a closed sharding. */
    static void checkContract(Module m) {
        ModuleVerifier.verify(m);
        SdyVerifier.verifyShardingAnnotations(m.op());
        String text = MlirPrinter.print(m);
        Module back = MlirParser.parseModule(text, "back.mlir");
        assertThat(MlirPrinter.print(back)).isEqualTo(text);
        for (Operation f : m.operations()) {
            if (!f.name().equals("func.func") || f.region(0).isEmpty()) continue; // declarations have no values
            assertThat(f.attr("arg_attrs")).as("arg_attrs of " + f).isNotNull();
            Walker.walk(f, op -> {
                if (op == f || op.numResults() == 0 || inScalarRegion(op)) return;
                assertThat(op.attributes().get("sdy.sharding")).as(op.name() + " at " + op.location().describe())
                        .isInstanceOf(TensorShardingPerValue.class);
                TensorShardingPerValue pv = (TensorShardingPerValue) op.attributes().get("sdy.sharding");
                pv.shardings().forEach(s -> s.dimShardings().forEach(d -> assertThat(d.closed()).isTrue()));
            });
        }
    }

    private static boolean inScalarRegion(Operation op) {
        for (Operation p = parentOp(op); p != null; p = parentOp(p)) {
            if (p.name().equals("func.func")) return false;
            if (!List.of("stablehlo.while", "stablehlo.case", "stablehlo.if").contains(p.name())) return true;
        }
        return false;
    }

    private static Operation parentOp(Operation op) {
        return op.parent() == null || op.parent().parent() == null ? null : op.parent().parent().parent();
    }

    /** The printed sharding of result {@code result} of the {@code nth} op named {@code name}. */
    static String sharding(Propagated p, String name, int nth, int result) {
        List<Operation> found = new ArrayList<>();
        Walker.walk(p.module().op(), op -> { if (op.name().equals(name)) found.add(op); });
        TensorShardingPerValue pv = (TensorShardingPerValue) found.get(nth).attributes().get("sdy.sharding");
        return pv.get(result).body();
    }

    static String sharding(Propagated p, String name) { return sharding(p, name, 0, 0); }

    static String resultSharding(Propagated p, int i) {
        return MlirPrinter.print(p.module()).lines().filter(l -> l.contains("func.func")).findFirst().orElseThrow()
                .replaceAll(".*-> \\(", "").split("sdy.sharding = #sdy.sharding")[i + 1].replaceAll("}[,)].*", "");
    }

    @Test
    void matmulChainWithOnlySomeArgumentsSharded() {
        // h = x . w1: x's rows (factor i) carry "x"; w1 is unannotated and stays replicated (its factors k, j see nothing)
        // o = h . w2: w2's columns carry "y", so o is ["x", "y"]
        Propagated p = run("""
            func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %w1: tensor<16x32xf32>,
                            %w2: tensor<32x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) -> tensor<8x8xf32> {
              %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
              %t = stablehlo.tanh %h : tensor<8x32xf32>
              %o = stablehlo.dot_general %t, %w2, contracting_dims = [1] x [0] : (tensor<8x32xf32>, tensor<32x8xf32>) -> tensor<8x8xf32>
              return %o : tensor<8x8xf32>
            }""");
        assertThat(sharding(p, "stablehlo.dot_general", 0, 0)).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(sharding(p, "stablehlo.tanh")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(sharding(p, "stablehlo.dot_general", 1, 0)).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        String text = MlirPrinter.print(p.module());
        assertThat(text).contains("%arg1: tensor<16x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}")
                .contains("-> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {\"y\"}]>})");
        assertThat(p.conflicts()).isEmpty();
    }

    @Test
    void backwardFromAResultAnnotation() {
        // nothing on the arguments; the result wants ["y", "x"], which flows back through add to both operands
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32>, %b: tensor<8x4xf32>) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"x"}]>}) {
              %0 = stablehlo.add %a, %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{\"y\"}, {\"x\"}]>");
        assertThat(MlirPrinter.print(p.module())).contains("%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"y\"}, {\"x\"}]>}")
                .contains("%arg1: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"y\"}, {\"x\"}]>}");
    }

    @Test
    void elementwiseThenReduce() {
        // exp keeps ["x", "y"]; reducing dim 1 drops factor j (a reduction: the partitioner all-reduces over "y")
        Propagated p = run("""
            func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> tensor<8xf32> {
              %e = stablehlo.exponential %a : tensor<8x16xf32>
              %z = stablehlo.constant dense<0.000000e+00> : tensor<f32>
              %r = stablehlo.reduce(%e init: %z) applies stablehlo.add across dimensions = [1] : (tensor<8x16xf32>, tensor<f32>) -> tensor<8xf32>
              return %r : tensor<8xf32>
            }""");
        assertThat(sharding(p, "stablehlo.exponential")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.reduce")).isEqualTo("<@mesh, [{\"x\"}]>");
        assertThat(sharding(p, "stablehlo.constant")).isEqualTo("<@mesh, []>");
    }

    @Test
    void reshapeMovesTheAxisToTheMajorFactor() {
        // [8,6] -> [48] is ([i, j])->([ij]) {i=8, j=6}: "x" on i shards the major part of the merged dimension
        Propagated p = run("""
            func.func @main(%a: tensor<8x6xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<48xf32> {
              %0 = stablehlo.reshape %a : (tensor<8x6xf32>) -> tensor<48xf32>
              return %0 : tensor<48xf32>
            }""");
        assertThat(sharding(p, "stablehlo.reshape")).isEqualTo("<@mesh, [{\"x\"}]>");
        assertThat(p.conflicts()).isEmpty();
    }

    @Test
    void reshapeCannotMoveAMinorAxis() {
        // "y" shards j (the minor factor of the merged dimension) while i is whole: the result stays replicated
        // and the report says why
        Propagated p = run("""
            func.func @main(%a: tensor<8x6xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) -> tensor<48xf32> {
              %0 = stablehlo.reshape %a : (tensor<8x6xf32>) -> tensor<48xf32>
              return %0 : tensor<48xf32>
            }""");
        assertThat(sharding(p, "stablehlo.reshape")).isEqualTo("<@mesh, [{}]>");
        assertThat(p.conflicts()).hasSize(1);
        ShardingConflict c = p.conflicts().get(0);
        assertThat(c.kind()).isEqualTo(ShardingConflict.Kind.NOT_EXPRESSIBLE);
        assertThat(c.describe()).isEqualTo("stablehlo.reshape at prop.mlir:4:3: NOT_EXPRESSIBLE on dimension 0 of result 0"
                + " (result 0 of stablehlo.reshape): candidates [factor j = {\"y\"}]; chose {}: major factor i (size 8) is not sharded,"
                + " so the minor factor's axes cannot shard this dimension");
    }

    @Test
    void transposeAndBroadcast() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}, %v: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<4x8xf32>, tensor<4x2x6xf32>) {
              %t = stablehlo.transpose %a, dims = [1, 0] : (tensor<8x4xf32>) -> tensor<4x8xf32>
              %b = stablehlo.broadcast_in_dim %v, dims = [0] : (tensor<4xf32>) -> tensor<4x2x6xf32>
              return %t, %b : tensor<4x8xf32>, tensor<4x2x6xf32>
            }""");
        assertThat(sharding(p, "stablehlo.transpose")).isEqualTo("<@mesh, [{\"y\"}, {\"x\"}]>");
        assertThat(sharding(p, "stablehlo.broadcast_in_dim")).isEqualTo("<@mesh, [{\"x\"}, {}, {}]>");
    }

    @Test
    void concatenatePropagatesBothWays() {
        // dim 0 (pass-through) from %a to the result and on to %b; the concatenated dim 1 (permutation) from %b
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %b: tensor<8x12xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}, %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
              %0 = stablehlo.concatenate %a, %b, dim = 1 : (tensor<8x4xf32>, tensor<8x12xf32>) -> tensor<8x16xf32>
              %1 = stablehlo.add %0, %c : tensor<8x16xf32>
              return %1 : tensor<8x16xf32>
            }""");
        assertThat(sharding(p, "stablehlo.concatenate")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        assertThat(MlirPrinter.print(p.module())).contains("%arg2: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {\"y\"}]>}");
    }

    @Test
    void shardingConstraintInTheMiddle() {
        // the constraint fixes ["y" on dim 1] mid-way: it flows back into the broadcast (which already has "x"
        // on dim 0 from %v) and forward into the negate
        Propagated p = run("""
            func.func @main(%v: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<8x16xf32> {
              %b = stablehlo.broadcast_in_dim %v, dims = [0] : (tensor<8xf32>) -> tensor<8x16xf32>
              %c = sdy.sharding_constraint %b <@mesh, [{}, {"y"}]> : tensor<8x16xf32>
              %n = stablehlo.negate %c : tensor<8x16xf32>
              return %n : tensor<8x16xf32>
            }""");
        assertThat(sharding(p, "stablehlo.broadcast_in_dim")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        assertThat(sharding(p, "sdy.sharding_constraint")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.negate")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
    }

    @Test
    void equalShardCountsFallBackToMeshAxisOrder() {
        // both explicit, no priority, two shards each: "a" comes before "b" in the mesh
        Propagated p = run("""
            sdy.mesh @m2 = <["a"=2, "b"=2, "c"=2]>
            func.func @main(%p: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@m2, [{"b"}, {}]>}, %q: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@m2, [{"a"}, {}]>}) -> tensor<8x4xf32> {
              %0 = stablehlo.add %p, %q : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@m2, [{\"a\"}, {}]>");
        assertThat(p.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.reason()).isEqualTo("earlier in mesh axis order");
            assertThat(c.candidates()).containsExactly("{\"a\"} from operand 1 (argument 1 of @main) (explicit)",
                    "{\"b\"} from operand 0 (argument 0 of @main) (explicit)");
        });
    }

    @Test
    void conflictIsResolvedByShardCountAndReported() {
        // both operands explicit, no priority: "x" (4 shards) beats "y" (2)
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {}]>}, %b: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<8x4xf32> {
              %0 = stablehlo.add %a, %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(p.conflicts()).extracting(ShardingConflict::describe).containsExactly(
                "stablehlo.add at prop.mlir:4:3: FACTOR_CONFLICT on factor i (size 8): candidates [{\"x\"} from operand 1"
                        + " (argument 1 of @main) (explicit), {\"y\"} from operand 0 (argument 0 of @main) (explicit)];"
                        + " chose {\"x\"}: more shards");
    }

    @Test
    void userPriorityWinsOverShardCount() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}p0, {}]>}, %b: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}p1, {}]>}) -> tensor<8x4xf32> {
              %0 = stablehlo.add %a, %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{\"y\"}, {}]>");
        assertThat(p.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(ShardingConflict.Kind.FACTOR_CONFLICT);
            assertThat(c.choice()).isEqualTo("{\"y\"}");
            assertThat(c.reason()).isEqualTo("higher user priority");
        });
    }

    @Test
    void p0ShardingsPropagateBeforeP1Ones() {
        // %a's p1 sharding would reach the negate first in program order, but p0 propagates everywhere first
        // (Shardy's user-priority iterations): the negate takes "y" from %b through the add, backwards
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}p1, {}]>}, %b: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}p0, {}]>}) -> tensor<8x4xf32> {
              %n = stablehlo.negate %a : tensor<8x4xf32>
              %0 = stablehlo.add %n, %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.negate")).isEqualTo("<@mesh, [{\"y\"}, {}]>");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{\"y\"}, {}]>");
        assertThat(p.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.op()).isEqualTo("stablehlo.negate");
            assertThat(c.reason()).isEqualTo("higher user priority");
        });
    }

    @Test
    void explicitBeatsPropagated() {
        // %n's ["y"] on dim 1 is propagated (from %a), %b's ["x"] is explicit
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}, %b: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) -> tensor<8x4xf32> {
              %n = stablehlo.negate %a : tensor<8x4xf32>
              %0 = stablehlo.add %n, %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.negate")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{}, {\"x\"}]>");
        assertThat(p.conflicts()).singleElement().satisfies(c -> assertThat(c.reason()).isEqualTo("explicit annotation over propagated"));
    }

    @Test
    void shardedContractionLeavesTheResultReplicatedOverItsAxes() {
        // both operands shard the contracting factor k on "x": the result has no "x" (the partitioner all-reduces)
        Propagated p = run("""
            func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"x"}]>}, %b: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<8x4xf32> {
              %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.dot_general")).isEqualTo("<@mesh, [{\"y\"}, {}]>");
        assertThat(p.conflicts()).isEmpty();
    }

    @Test
    void contractingAxisFlowsToTheUnannotatedOperand() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
              %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(MlirPrinter.print(p.module())).contains("%arg1: tensor<16x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {}]>}");
        assertThat(sharding(p, "stablehlo.dot_general")).isEqualTo("<@mesh, [{}, {}]>");
    }

    @Test
    void oneAxisIsNeverUsedOnTwoDimensions() {
        // %a brings "x" on dim 0 and %b brings "x" on dim 1: dim 0 wins (factor order), dim 1 may not reuse "x"
        Propagated p = run("""
            func.func @main(%a: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %b: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) -> tensor<8x8xf32> {
              %0 = stablehlo.add %a, %b : tensor<8x8xf32>
              return %0 : tensor<8x8xf32>
            }""");
        assertThat(sharding(p, "stablehlo.add")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(p.conflicts()).extracting(ShardingConflict::kind).containsExactly(ShardingConflict.Kind.AXIS_REUSED);
        assertThat(p.conflicts().get(0).describe()).contains("axis \"x\" already shards another dimension of this tensor");
    }

    @Test
    void axisThatDoesNotDivideIsReported() {
        // [12] sharded by "x"=4 is fine, but reshaping [12] -> [3, 4] has factors {i=3, j=4}: "x" does not divide 3
        Propagated p = run("""
            func.func @main(%a: tensor<12xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<3x4xf32> {
              %0 = stablehlo.reshape %a : (tensor<12xf32>) -> tensor<3x4xf32>
              return %0 : tensor<3x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.reshape")).isEqualTo("<@mesh, [{}, {}]>");
        assertThat(p.conflicts()).extracting(ShardingConflict::kind).contains(ShardingConflict.Kind.NOT_DIVISIBLE);
    }

    /**
     * x [2, 8, 16] split [{"x", "one"}, {"y"}] into tokens [16, 16] (dp=2, fsdp=1, sp=2 as the MoE layer does it): the
     * tokens dim has factors 2 then 8; "x" fills the first, "one" (size 1) fits no factor and is passed over without a
     * conflict, "y" splits the second. So the tokens are [{"x", "y"}], and nothing is reported.
     */
    @Test
    void aSizeOneAxisThatFitsNoFactorIsPassedOver() {
        Module m = MlirParser.parseModule("""
            module {
            sdy.mesh @mesh = <["x"=2, "one"=1, "y"=2]>
            func.func @main(%a: tensor<2x8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x", "one"}, {"y"}, {}]>}) -> tensor<16x16xf32> {
              %0 = stablehlo.reshape %a : (tensor<2x8x16xf32>) -> tensor<16x16xf32>
              return %0 : tensor<16x16xf32>
            }
            }""", "prop.mlir");
        Propagated p = Propagation.propagate(m);
        checkContract(p.module());
        assertThat(sharding(p, "stablehlo.reshape")).isEqualTo("<@mesh, [{\"x\", \"y\"}, {}]>");
        assertThat(p.conflicts()).isEmpty();
    }

    @Test
    void whileLoopCarriesTheShardingThroughItsBody() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %n: tensor<i32>) -> tensor<8x4xf32> {
              %0:2 = stablehlo.while(%x = %a, %k = %n) : tensor<8x4xf32>, tensor<i32>
                cond {
                  %c = stablehlo.compare LT, %k, %k : (tensor<i32>, tensor<i32>) -> tensor<i1>
                  stablehlo.return %c : tensor<i1>
                } do {
                  %y = stablehlo.sine %x : tensor<8x4xf32>
                  stablehlo.return %y, %k : tensor<8x4xf32>, tensor<i32>
                }
              return %0#0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.sine")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(sharding(p, "stablehlo.while")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
    }

    @Test
    void callIntoAPrivateFunction() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}) -> tensor<8x4xf32> {
              %0 = func.call @body(%a) : (tensor<8x4xf32>) -> tensor<8x4xf32>
              %1 = stablehlo.abs %0 : tensor<8x4xf32>
              return %1 : tensor<8x4xf32>
            }
            func.func private @body(%b: tensor<8x4xf32>) -> tensor<8x4xf32> {
              %0 = stablehlo.cosine %b : tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.cosine")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        assertThat(sharding(p, "func.call")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.abs")).isEqualTo("<@mesh, [{\"x\"}, {\"y\"}]>");
    }

    @Test
    void callToADeclarationIsOpaque() {
        // nothing flows through a function without a body; its result is sharded by its user (the return)
        Propagated p = run("""
            func.func private @ext(tensor<8x4xf32>) -> tensor<8x4xf32>
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"y"}]>}) {
              %0 = func.call @ext(%a) : (tensor<8x4xf32>) -> tensor<8x4xf32>
              return %0 : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "func.call")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
    }

    @Test
    void manualComputationIsOpaqueWithItsInAndOutShardings() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32>) -> tensor<8x4xf32> {
              %n = stablehlo.negate %a : tensor<8x4xf32>
              %0 = sdy.manual_computation(%n) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {"y"}]>] manual_axes={"x", "y"} (%l: tensor<2x4xf32>) {
                %s = stablehlo.sine %l : tensor<2x4xf32>
                %r = "stablehlo.all_to_all"(%s) <{split_dimension = 1 : i64, concat_dimension = 0 : i64, split_count = 4 : i64, replica_groups = dense<[[0, 2, 4, 6], [1, 3, 5, 7]]> : tensor<2x4xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>}> : (tensor<2x4xf32>) -> tensor<8x1xf32>
                %t = stablehlo.slice %r [0:8, 0:1] : (tensor<8x1xf32>) -> tensor<8x1xf32>
                %u = "stablehlo.all_gather"(%t) <{all_gather_dim = 1 : i64, replica_groups = dense<[[0, 1], [2, 3], [4, 5], [6, 7]]> : tensor<4x2xi64>, channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>, use_global_device_ids}> : (tensor<8x1xf32>) -> tensor<8x2xf32>
                sdy.return %u : tensor<8x2xf32>
              } : (tensor<8x4xf32>) -> tensor<8x4xf32>
              %m = stablehlo.multiply %0, %0 : tensor<8x4xf32>
              return %m : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.negate")).isEqualTo("<@mesh, [{\"x\"}, {}]>");
        assertThat(MlirPrinter.print(p.module())).contains("%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}, {}]>}");
        assertThat(sharding(p, "sdy.manual_computation")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.multiply")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
        // the body is left as written: local values carry no global sharding
        List<Operation> sines = new ArrayList<>();
        Walker.walk(p.module().op(), op -> { if (op.name().equals("stablehlo.sine")) sines.add(op); });
        assertThat(sines.get(0).attributes().get("sdy.sharding")).isNull();
    }

    @Test
    void reshardResultIsFixedAndNothingFlowsThroughIt() {
        Propagated p = run("""
            func.func @main(%a: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> tensor<8x4xf32> {
              %r = sdy.reshard %a <@mesh, [{}, {"y"}]> : tensor<8x4xf32>
              %e = stablehlo.exponential %r : tensor<8x4xf32>
              return %e : tensor<8x4xf32>
            }""");
        assertThat(sharding(p, "sdy.reshard")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
        assertThat(sharding(p, "stablehlo.exponential")).isEqualTo("<@mesh, [{}, {\"y\"}]>");
    }

    @Test
    void caseBarrierSortAndTokens() {
        // case results take their branches' returns; optimization_barrier passes through; the sorted dimension
        // needs replication, so sort's results stay replicated; tokens get a rank-0 sharding
        Propagated p = run("""
            func.func @main(%a: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<4xf32>, tensor<4xf32>) {
              %t = stablehlo.create_token : !stablehlo.token
              %c = stablehlo.constant dense<1> : tensor<i32>
              %0 = "stablehlo.case"(%c) ({
                %s = stablehlo.sine %a : tensor<4xf32>
                stablehlo.return %s : tensor<4xf32>
              }, {
                stablehlo.return %a : tensor<4xf32>
              }) : (tensor<i32>) -> tensor<4xf32>
              %1 = stablehlo.optimization_barrier %0 : tensor<4xf32>
              %r:2 = "stablehlo.sort"(%1, %1) <{dimension = 0 : i64}> ({
                ^bb0(%x: tensor<f32>, %y: tensor<f32>, %z: tensor<f32>, %w: tensor<f32>):
                  %q = stablehlo.compare GT, %x, %y : (tensor<f32>, tensor<f32>) -> tensor<i1>
                  stablehlo.return %q : tensor<i1>
              }) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
              return %r#0, %0 : tensor<4xf32>, tensor<4xf32>
            }""");
        assertThat(sharding(p, "stablehlo.sine")).isEqualTo("<@mesh, [{\"x\"}]>");
        assertThat(sharding(p, "stablehlo.case")).isEqualTo("<@mesh, [{\"x\"}]>");
        assertThat(sharding(p, "stablehlo.optimization_barrier")).isEqualTo("<@mesh, [{\"x\"}]>");
        assertThat(sharding(p, "stablehlo.sort", 0, 1)).isEqualTo("<@mesh, [{}]>");
        assertThat(sharding(p, "stablehlo.create_token")).isEqualTo("<@mesh, []>");
        // the comparator works on scalars and is left alone
        List<Operation> cmp = new ArrayList<>();
        Walker.walk(p.module().op(), op -> { if (op.name().equals("stablehlo.compare")) cmp.add(op); });
        assertThat(cmp.get(0).attributes().get("sdy.sharding")).isNull();
    }

    @Test
    void theDslMlpPropagatesAsDocumented() {
        // dsl/src/test/resources/io/hlo4j/dsltest/shard/mlp_dp2_tp2.mlir, the example of docs/sharding-propagation.md
        Module m = MlirParser.parseModule("""
            module @jit_mlp attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func public @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %arg1: tensor<16x32xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}, %arg2: tensor<32x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"tp"}, {}]>}) -> (tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
                %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
                %1 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<8x32xf32>
                %2 = stablehlo.maximum %0, %1 : tensor<8x32xf32>
                %3 = sdy.sharding_constraint %2 <@mesh, [{"dp"}, {"tp"}]> : tensor<8x32xf32>
                %4 = stablehlo.dot_general %3, %arg2, contracting_dims = [1] x [0] : (tensor<8x32xf32>, tensor<32x16xf32>) -> tensor<8x16xf32>
                return %4 : tensor<8x16xf32>
              }
            }""", "mlp.mlir");
        Propagated p = Propagation.propagate(m);
        checkContract(p.module());
        assertThat(p.conflicts()).isEmpty();
        assertThat(MlirPrinter.print(p.module())).contains(
                "%0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {\"tp\"}]>]>}",
                "%1 = stablehlo.broadcast_in_dim %cst, dims = [] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {\"tp\"}]>]>}",
                "%4 = stablehlo.dot_general %3, %arg2, contracting_dims = [1] x [0] {sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"dp\"}, {}]>]>}");
    }

    /**
     * The DSL's MoE layer in annotated form ({@code ./hlo4j dump moe --emit annotated --mesh
     * dp=1,fsdp=2,ep=2,tp=2,sp=1}): gather, scatter, sort, ragged_dot, reshapes and reductions propagate
     * without conflicts, deterministically, and the tokens' batch axes follow the reshape [2,8,64] -> [16,64].
     */
    @Test
    void theDslMoeLayerPropagates() throws java.io.IOException {
        String text;
        try (var in = PropagationTest.class.getResourceAsStream("moe_annotated.mlir")) {
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Propagated p = Propagation.propagate(MlirParser.parseModule(text, "moe_annotated.mlir"));
        checkContract(p.module());
        assertThat(p.conflicts()).isEmpty();
        // ([i, j, k])->([ij, k]) {i=2, j=8, k=64}: "dp","fsdp" fill i (1*2 = 2), then "sp" (size 1) goes to j
        assertThat(sharding(p, "stablehlo.reshape")).isEqualTo("<@mesh, [{\"dp\", \"fsdp\", \"sp\"}, {}]>");
        assertThat(sharding(p, "stablehlo.dot_general")).isEqualTo("<@mesh, [{\"dp\", \"fsdp\", \"sp\"}, {}]>");
        // the gate/up projections keep the experts' "tp" columns; the ragged token dim needs replication
        assertThat(sharding(p, "chlo.ragged_dot", 0, 0)).isEqualTo("<@mesh, [{}, {\"tp\"}]>");
        assertThat(MlirPrinter.print(Propagation.propagate(MlirParser.parseModule(text, "moe_annotated.mlir")).module()))
                .isEqualTo(MlirPrinter.print(p.module()));
    }

    @Test
    void deterministic() {
        String body = """
            func.func @main(%a: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {"y"}]>}, %b: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y"}, {"x"}]>}, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
              %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
              %1 = stablehlo.transpose %c, dims = [1, 0] : (tensor<8x8xf32>) -> tensor<8x8xf32>
              %2 = stablehlo.add %0, %1 : tensor<8x8xf32>
              return %2 : tensor<8x8xf32>
            }""";
        Propagated first = run(body), second = run(body);
        assertThat(MlirPrinter.print(second.module())).isEqualTo(MlirPrinter.print(first.module()));
        assertThat(second.conflicts()).isEqualTo(first.conflicts());
        // propagating the propagated module changes nothing
        Propagated again = Propagation.propagate(first.module());
        assertThat(MlirPrinter.print(again.module())).isEqualTo(MlirPrinter.print(first.module()));
    }

    @Test
    void moduleWithoutMeshIsUnchanged() {
        Module m = MlirParser.parseModule("""
            module {
              func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                %0 = stablehlo.abs %a : tensor<4xf32>
                return %0 : tensor<4xf32>
              }
            }""", "plain.mlir");
        Propagated p = Propagation.propagate(m);
        assertThat(MlirPrinter.print(p.module())).isEqualTo(MlirPrinter.print(m));
        assertThat(p.conflicts()).isEmpty();
    }
}
