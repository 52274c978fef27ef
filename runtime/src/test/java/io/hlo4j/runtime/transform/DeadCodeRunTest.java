package io.hlo4j.runtime.transform;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.DeadOpsInRegions;
import io.hlo4j.mlir.transform.DeadCode;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link DeadCode} changes no result: the interpreter runs each module before and after on random inputs. */
class DeadCodeRunTest {
    /** DeadCodeTest's module with a dead chain at the top level as well (2 more dead ops). */
    private static final String REGIONS = DeadOpsInRegions.text("""
              %dead0 = stablehlo.add %a, %b : tensor<4xf32>
              %dead1 = stablehlo.multiply %dead0, %dead0 : tensor<4xf32>
            """);

    /** A dead draw before a live one: removing it would change the live draw, so it stays. */
    private static final String RNG = """
            func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
              %lo = stablehlo.constant dense<0.0> : tensor<f32>
              %hi = stablehlo.constant dense<1.0> : tensor<f32>
              %shape = stablehlo.constant dense<[4]> : tensor<1xi64>
              %dead = stablehlo.rng %lo, %hi, %shape, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<1xi64>) -> tensor<4xf32>
              %live = stablehlo.rng %lo, %hi, %shape, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<1xi64>) -> tensor<4xf32>
              %deadneg = stablehlo.negate %a : tensor<4xf32>
              %out = stablehlo.add %a, %live : tensor<4xf32>
              return %out : tensor<4xf32>
            }
            """;

    private static HostArray random(Random rnd, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return HostArray.fromFloats(TensorType.of(FloatType.F32, n), v);
    }

    private static List<HostArray> run(Module m, List<HostArray> in) {
        return new Interpreter(m).runHost("main", in);
    }

    private static void assertSame(List<HostArray> before, List<HostArray> after) {
        assertThat(after).hasSameSizeAs(before);
        for (int i = 0; i < before.size(); i++) {
            assertThat(after.get(i).type()).isEqualTo(before.get(i).type());
            assertThat(after.get(i).toDoubleArray()).containsExactly(before.get(i).toDoubleArray());
        }
    }

    @Test
    void regionsGiveTheSameResultsOnRandomInputsInBothBranches() {
        Module m = MlirParser.parseModule(REGIONS, "regions.mlir");
        Module clean = DeadCode.eliminate(m);
        ModuleVerifier.verify(clean);
        assertThat(DeadCode.countDead(m.op())).isEqualTo(11);
        Random rnd = new Random(7);
        for (int trial = 0; trial < 4; trial++) {
            List<HostArray> in = new ArrayList<>(List.of(random(rnd, 4), random(rnd, 4),
                    HostArray.fromLongs(TensorType.of(IntegerType.I32), trial % 2)));
            assertSame(run(m, in), run(clean, in));
        }
    }

    @Test
    void aDeadRngStaysSoTheLiveDrawIsUnchanged() {
        Module m = MlirParser.parseModule(RNG, "rng.mlir");
        Module clean = DeadCode.eliminate(m);
        assertThat(DeadCode.countDead(m.op())).isEqualTo(1);   // only the negate
        List<HostArray> in = List.of(random(new Random(3), 4));
        assertSame(run(m, in), run(clean, in));
    }
}
