package io.hlo4j.compiler.spmd.fuzz;

import io.hlo4j.compiler.spmd.fuzz.FuzzOracle.Failure;
import io.hlo4j.compiler.spmd.fuzz.FuzzOracle.Kind;
import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Program;
import io.hlo4j.compiler.spmd.fuzz.ProgramGen.Val;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fuzz's own verdicts, on programs and values written by hand: each must be able to fail where it says. */
class FuzzOracleTest {
    static final String HEAD = "module @fuzz attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {\n"
            + "  sdy.mesh @mesh = <[\"a\"=2]>\n";

    /** %arg0: tensor<3xf32> (which "a" does not divide) annotated {@code argSharding}, negated, through a constraint. */
    static Program threes(String argSharding, String constraint) {
        Val a = new Val("%arg0", new long[] {3}, "f32"), v = new Val("%v0", new long[] {3}, "f32"), c = new Val("%v1", new long[] {3}, "f32");
        List<String> body = new ArrayList<>(List.of("%v0 = \"stablehlo.negate\"(%arg0) : (tensor<3xf32>) -> tensor<3xf32>"));
        if (constraint != null) body.add("%v1 = sdy.sharding_constraint %v0 " + constraint + " : tensor<3xf32>");
        List<String> argSh = new ArrayList<>(Arrays.asList(argSharding)), resSh = new ArrayList<>(Arrays.asList((String) null));
        return new Program(HEAD, List.of(a), argSh, body, List.of(constraint != null ? c : v), resSh, false);
    }

    @Test
    void aNonDividingAnnotationIsRefusedAtItsLineAndItsProgramWithoutItRuns() {
        Program bad = threes("<@mesh, [{\"a\"}]>", null);
        assertThat(FuzzOracle.nonDividing(bad)).containsExactly(new FuzzOracle.NonDividing("argument #0", List.of(3)));
        assertThat(SpmdDifferentialFuzzTest.check(bad, 1)).as("refused as documented").isEqualTo(-1);
        // the minimiser's candidate without the annotation: judged as what it is (it used to inherit "non-dividing"
        // and fail as "accepted", so an "accepted" failure shrank to a program that passes)
        Program dropped = threes(null, null);
        assertThat(FuzzOracle.nonDividing(dropped)).isEmpty();
        assertThat(SpmdDifferentialFuzzTest.check(dropped, 1)).isGreaterThanOrEqualTo(0);
        assertThat(SpmdDifferentialFuzzTest.failure(SpmdDifferentialFuzzTest::check, dropped, 1)).isNull();
    }

    @Test
    void aConstraintThatDoesNotDivideIsNamedAtItsLine() {
        Program p = threes(null, "<@mesh, [{\"a\"}]>");
        assertThat(FuzzOracle.nonDividing(p)).containsExactly(new FuzzOracle.NonDividing("the constraint %v1", List.of(5)));
        assertThat(SpmdDifferentialFuzzTest.check(p, 1)).as("refused as documented").isEqualTo(-1);
    }

    @Test
    void aResultThatDoesNotDivideIsNamedAtTheReturnAndARegionCountsItsLines() {
        // a reduce whose region takes four more lines before the constraint: the return is line 11, not 7
        Val a = new Val("%arg0", new long[] {3, 2}, "f32"), c = new Val("%v2", new long[] {3}, "f32");
        List<String> body = List.of("%v0 = \"stablehlo.constant\"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>",
                "%v1 = \"stablehlo.reduce\"(%arg0, %v0) <{dimensions = array<i64: 1>}> (" + ProgramGen.reducer("add", "f32")
                        + ") : (tensor<3x2xf32>, tensor<f32>) -> tensor<3xf32>",
                "%v2 = sdy.sharding_constraint %v1 <@mesh, [{?}]> : tensor<3xf32>");
        Program p = new Program(HEAD, List.of(a), Arrays.asList((String) null), body, List.of(c), List.of("<@mesh, [{\"a\"}]>"), false);
        assertThat(p.text().split("\n")[10]).isEqualTo("    return %v2 : tensor<3xf32>");
        assertThat(FuzzOracle.nonDividing(p)).containsExactly(new FuzzOracle.NonDividing("result #0", List.of(3, 11)));
        assertThat(SpmdDifferentialFuzzTest.check(p, 1)).as("refused as documented").isEqualTo(-1);
    }

    @Test
    void aRefusalElsewhereOrForAnotherReasonFails() {
        List<FuzzOracle.NonDividing> bad = List.of(new FuzzOracle.NonDividing("the constraint %v1", List.of(5)));
        FuzzOracle.refusedAtOneOf(bad, new Hlo4jException("x is not divisible", new Location.FileLineCol("fuzz.mlir", 5, 7)));
        assertThatThrownBy(() -> FuzzOracle.refusedAtOneOf(bad, new Hlo4jException("x is not divisible", new Location.FileLineCol("fuzz.mlir", 4, 7))))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.kind).isEqualTo(Kind.REFUSED_ELSEWHERE));
        assertThatThrownBy(() -> FuzzOracle.refusedAtOneOf(bad, new Hlo4jException("unsupported op", new Location.FileLineCol("fuzz.mlir", 5, 7))))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.kind).isEqualTo(Kind.REFUSED));
    }

    static HostArray f32(double... v) { return HostArray.fromDoubles(TensorType.of(FloatType.F32, v.length), v); }

    @Test
    void oneHugeElementDoesNotWidenTheToleranceOfTheOthers() {
        // 1e-4 of the largest value (1e30) let 1.5 pass for 1.0
        assertThatThrownBy(() -> FuzzOracle.same(false, f32(1e30, 1), f32(1e30, 1.5), "r", Kind.WRONG_VALUE))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.kind).isEqualTo(Kind.WRONG_VALUE)).hasMessageContaining("element 1");
        // within 1e-4 * (|1000| + 1) = 0.1001 of each element: a different order of a sum
        FuzzOracle.same(false, f32(1e30, 1000), f32(1.00001e30, 1000.05), "r", Kind.WRONG_VALUE);
        assertThatThrownBy(() -> FuzzOracle.same(false, f32(0), f32(2e-4), "r", Kind.WRONG_BLOCK))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.kind).isEqualTo(Kind.WRONG_BLOCK));
    }

    @Test
    void integersCompareBitForBitAtAnyScale() {
        TensorType t = TensorType.of(IntegerType.I32, 2);
        // 2^25 used to switch the exact mode to the tolerance (3355 here)
        assertThatThrownBy(() -> FuzzOracle.same(true, HostArray.fromLongs(t, 1 << 25, 1), HostArray.fromLongs(t, 1 << 25, 2), "r", Kind.WRONG_VALUE))
                .isInstanceOf(Failure.class).hasMessageContaining("element 1");
        assertThatThrownBy(() -> FuzzOracle.same(false, HostArray.fromLongs(t, 1 << 25, 1), HostArray.fromLongs(t, (1 << 25) + 1, 1), "r", Kind.WRONG_VALUE))
                .isInstanceOf(Failure.class).hasMessageContaining("element 0");
    }

    @Test
    void aStackOverflowIsRecordedAndTheRunGoesOn(@TempDir Path dir) throws Exception {
        int[] calls = {0};
        SpmdDifferentialFuzzTest.Outcome o = SpmdDifferentialFuzzTest.fuzz(3, true, (p, seed) -> {
            if (calls[0]++ == 1) throw new StackOverflowError("deep");
            return 1;
        }, dir);
        assertThat(calls[0]).as("every case ran (the minimiser's tries included)").isGreaterThanOrEqualTo(3);
        assertThat(o.headers()).hasSize(1);
        assertThat(o.headers().getFirst()).contains("case 1 ").contains("StackOverflowError");
        assertThat(o.moved()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("exact-1.mlir"))).contains("StackOverflowError: deep").contains("func.func @main");
    }

    @Test
    void anOutOfMemoryErrorIsRecordedThenRethrown(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SpmdDifferentialFuzzTest.fuzz(3, true, (p, seed) -> { throw new OutOfMemoryError("fake"); }, dir))
                .isInstanceOf(OutOfMemoryError.class);
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("exact-0.mlir");
        }
        assertThat(Files.readString(dir.resolve("exact-0.mlir"))).contains("exact case 0").contains("OutOfMemoryError: fake").contains("func.func @main");
    }

    @Test
    void theMinimiserKeepsOnlyProgramsThatFailTheSameWay() {
        // a fake check: with the negate, "accepted" while %arg0 is annotated, else a wrong value; without it, a pass.
        // Matched on the class (both are Failures) the annotation was dropped; matched on the kind it stays
        Program p = threes("<@mesh, [{\"a\"}]>", "<@mesh, [{?}]>");
        SpmdDifferentialFuzzTest.Checker fake = (c, seed) -> {
            if (c.body().stream().noneMatch(l -> l.contains("negate"))) return 0;
            throw new Failure(c.argShardings().getFirst() != null ? Kind.ACCEPTED : Kind.WRONG_VALUE, "fake");
        };
        Program small = Minimiser.minimise(p, c -> "ACCEPTED".equals(SpmdDifferentialFuzzTest.failure(fake, c, 1)));
        assertThat(small.argShardings().getFirst()).isNotNull();
        assertThat(small.body()).as("the constraint bypassed, the negate kept").hasSize(1).allMatch(l -> l.contains("negate"));
    }
}
