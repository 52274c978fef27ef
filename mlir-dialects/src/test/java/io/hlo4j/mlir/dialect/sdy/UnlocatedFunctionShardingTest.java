package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Found by compiler/.../fuzz/TokenFuzzTest (its Shardy set: an axis repeated in docs/examples/jax/shardy-mlp.mlir's
 * argument sharding): JAX writes {@code loc(unknown)} on functions, so a bad sharding on a function's argument or result
 * was refused with no location at all, and the CLI's line named no place in the file. The error now points at the
 * argument (its own loc, a name, with where it is written) or at the op defining the returned value.
 */
class UnlocatedFunctionShardingTest {
    private static final String MODULE = """
            #loc = loc(unknown)
            module {
              sdy.mesh @mesh = <["data"=2, "model"=2]>
              func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [ARG, {}]>} loc("x")) -> (tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [RES, {}]>}) {
                %0 = stablehlo.add %arg0, %arg0 : tensor<8x4xf32> loc("add"("/src/mlp.py":14:0))
                return %0 : tensor<8x4xf32> loc(#loc)
              } loc(#loc)
            } loc(#loc)
            """;

    /** What inspect, run --spmd and the partitioner check first: the module, then every sharding annotation in it. */
    private static void verify(String text) {
        var m = MlirParser.parseModule(text, "m.mlir");
        ModuleVerifier.verify(m);
        SdyVerifier.verifyShardingAnnotations(m.op());
    }

    @Test void anArgumentShardingErrorNamesTheArgument() {
        String text = MODULE.replace("ARG", "{\"data\", \"data\"}").replace("RES", "{\"data\"}");
        assertThatThrownBy(() -> verify(text))
                .isInstanceOfSatisfying(VerificationException.class, e -> {
                    org.assertj.core.api.Assertions.assertThat(e.location()).isEqualTo(new Location.Named("x", Location.UNKNOWN));
                    org.assertj.core.api.Assertions.assertThat(e.format())
                            .isEqualTo("x at m.mlir:4:26: 'func.func' op argument #0 sdy.sharding uses axis \"data\" more than once");
                });
    }

    @Test void aResultShardingErrorNamesTheOpDefiningTheResult() {
        String text = MODULE.replace("ARG", "{\"data\"}").replace("RES", "{\"nope\"}");
        assertThatThrownBy(() -> verify(text))
                .isInstanceOfSatisfying(VerificationException.class, e -> org.assertj.core.api.Assertions.assertThat(e.format())
                        .startsWith("add at /src/mlp.py:14:0: 'func.func' op result #0 sdy.sharding refers to unknown axis \"nope\""));
    }
}
