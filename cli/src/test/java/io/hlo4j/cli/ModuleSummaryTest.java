package io.hlo4j.cli;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The summary of a module built by hand (no parser involved): counts checked against the ops put in. */
class ModuleSummaryTest {
    private static final TensorType T = TensorType.of(FloatType.F32, 2, 3);
    private static final TensorType S = TensorType.scalar(FloatType.F32);

    /** {@code @f(x) -> reduce(add(x, x), 0) over dim 1}, the reduce body holding an add and a return. */
    private static Module module() {
        Block.Builder body = Block.builder();
        BlockArgument x = body.addArgument(T);
        Operation zero = body.append(Operation.builder("stablehlo.constant").resultType(S).build());
        Operation add = body.append(Operation.builder("stablehlo.add").operands(x, x).resultType(T).build());
        Block.Builder reducer = Block.builder();
        BlockArgument a = reducer.addArgument(S);
        BlockArgument b = reducer.addArgument(S);
        Operation inner = reducer.append(Operation.builder("stablehlo.add").operands(a, b).resultType(S).build());
        reducer.append(Operation.builder("stablehlo.return").operand(inner.result()).build());
        Operation reduce = body.append(Operation.builder("stablehlo.reduce").operands(add.result(), zero.result())
                .resultType(TensorType.of(FloatType.F32, 2)).region(Region.of(reducer.build())).build());
        body.append(Operation.builder("func.return").operand(reduce.result()).build());
        Operation f = Operation.builder("func.func")
                .property("sym_name", new StringAttr("f"))
                .property("function_type", new TypeAttr(new FunctionType(List.of(T), List.of(TensorType.of(FloatType.F32, 2)))))
                .region(Region.of(body.build())).build();
        return Module.of("m", null, List.of(f), Location.UNKNOWN);
    }

    @Test void countsEveryNestedOpButNotTheModule() {
        ModuleSummary s = ModuleSummary.of(module());
        assertThat(s.histogram()).isEqualTo(Map.of("func.func", 1, "func.return", 1, "stablehlo.constant", 1,
                "stablehlo.add", 2, "stablehlo.reduce", 1, "stablehlo.return", 1));
        assertThat(s.opCount()).isEqualTo(7);
        assertThat(s.byCount().getFirst()).isEqualTo(Map.entry("stablehlo.add", 2));
    }

    @Test void signatureComesFromTheFunctionType() {
        assertThat(ModuleSummary.of(module()).signatures()).containsExactly("@f(tensor<2x3xf32>) -> (tensor<2xf32>)");
    }

    @Test void formatListsSignatureThenHistogram() {
        assertThat(ModuleSummary.of(module()).format()).isEqualTo("""
                module @m: 1 function, 7 ops
                  @f(tensor<2x3xf32>) -> (tensor<2xf32>)
                op histogram:
                  stablehlo.add          2
                  func.func              1
                  func.return            1
                  stablehlo.constant     1
                  stablehlo.reduce       1
                  stablehlo.return       1
                """);
    }
}
