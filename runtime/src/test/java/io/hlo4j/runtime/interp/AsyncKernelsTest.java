package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;

/** async_start runs its body on the operands; async_done hands back what the body returned. */
class AsyncKernelsTest {
    @Test
    void asyncDoneReturnsTheBodysResult() {
        String text = """
                func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
                  %f = "stablehlo.async_start"(%x) ({
                  ^bb0(%a: tensor<3xf32>):
                    %y = stablehlo.multiply %a, %a : tensor<3xf32>
                    stablehlo.return %y : tensor<3xf32>
                  }) : (tensor<3xf32>) -> !stablehlo.future<tensor<3xf32>>
                  %r = "stablehlo.async_done"(%f) : (!stablehlo.future<tensor<3xf32>>) -> tensor<3xf32>
                  %s = stablehlo.add %r, %x : tensor<3xf32>
                  func.return %s : tensor<3xf32>
                }
                """;
        Tensor x = Ir.reals(FloatType.F32, shape(3), 1, -2, 0.5);
        List<RtValue> out = new Interpreter(MlirParser.parseModule(text, "async.mlir")).run(List.of(x));
        assertThat(((Tensor) out.get(0)).re).containsExactly(2, 2, 0.75); // x*x + x
    }
}
