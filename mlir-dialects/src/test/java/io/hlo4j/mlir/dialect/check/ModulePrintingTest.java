package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's module printer with this package's op syntaxes: the text must be what upstream prints
 * (interpret/check.mlir and probe.mlir lines; Shardy's manual_computation_parse_print CHECK lines; the
 * top_k form of the reference notes, with upstream's result names).
 */
class ModulePrintingTest {
    @Test
    void checkAndInterpreterOpsPrintAsUpstream() {
        TensorType t = TensorType.of(IntegerType.I64, 3);
        byte[] b = new byte[24];
        b[0] = 1; b[8] = 2; b[16] = 3;
        DenseElementsAttr v = DenseElementsAttr.of(t, b);
        Operation c = Operation.builder("stablehlo.constant").property("value", v).resultType(t).build();
        Operation eqConst = Operation.builder("check.expect_eq_const").operand(c.result()).property("value", v).build();
        Operation eq = Operation.builder("check.expect_eq").operands(c.result(), c.result()).build();
        Operation probe = Operation.builder("interpreter.probe").operand(c.result()).property("probe_id", new StringAttr("p/0"))
                .resultType(t).build();
        Operation print = Operation.builder("interpreter.print").operand(probe.result()).build();
        TensorType f = TensorType.of(FloatType.F64);
        Operation cf = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of(f, new byte[8])).resultType(f).build();
        Operation almost = Operation.builder("check.expect_almost_eq").operands(cf.result(), cf.result())
                .property("tolerance", new FloatAttr(0.1, FloatType.F64)).build();
        Operation close = Operation.builder("check.expect_close").operands(cf.result(), cf.result())
                .property("max_ulp_difference", new IntegerAttr(3, IntegerType.UI64)).build();
        Operation serialized = Operation.builder("check.expect_serialized_eq").operand(c.result())
                .property("probe_id", new StringAttr("probe_iterations")).property("iteration", new IntegerAttr(1, IntegerType.UI32)).build();
        String text = MlirPrinter.print(Module.of(null, null, List.of(c, eqConst, eq, probe, print, cf, almost, close, serialized), null));
        assertThat(text).isEqualTo("""
                module {
                  %c = stablehlo.constant dense<[1, 2, 3]> : tensor<3xi64>
                  check.expect_eq_const %c, dense<[1, 2, 3]> : tensor<3xi64>
                  check.expect_eq %c, %c : tensor<3xi64>
                  %0 = interpreter.probe %c, probe_id = "p/0" : tensor<3xi64>
                  interpreter.print %0 : tensor<3xi64>
                  %cst = stablehlo.constant dense<0.000000e+00> : tensor<f64>
                  check.expect_almost_eq %cst, %cst, tolerance = 1.000000e-01 : tensor<f64>
                  check.expect_close %cst, %cst, max_ulp_difference = 3 : tensor<f64>, tensor<f64>
                  check.expect_serialized_eq %c, probe_id = "probe_iterations", iter = 1 : tensor<3xi64>
                }
                """);
    }

    @Test
    void topKAndManualComputationPrintAsUpstream() {
        TensorType t = (TensorType) MlirParser.parseType("tensor<16x8xf32>");
        Operation c = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.splat(t, new byte[4])).resultType(t).build();
        Operation topk = Operation.builder("chlo.top_k").operand(c.result()).property("k", IntegerAttr.i64(2))
                .resultTypes(MlirParser.parseType("tensor<16x2xf32>"), MlirParser.parseType("tensor<16x2xi32>")).build();
        Operation mesh = MlirParser.parseModule("sdy.mesh @mesh = <[\"ep\"=4]>", "<mesh>").operations().getFirst().toBuilder().build();
        Block.Builder bb = Block.builder();
        BlockArgument a = bb.addArgument(MlirParser.parseType("tensor<4x8xf32>"));
        bb.append(Operation.builder("sdy.return").operand(a).build());
        Operation mc = Operation.builder("sdy.manual_computation").operand(c.result()).resultType(t).region(Region.of(bb.build()))
                .property("in_shardings", MlirParser.parseAttribute("#sdy.sharding_per_value<[<@mesh, [{\"ep\"}, {}]>]>"))
                .property("out_shardings", MlirParser.parseAttribute("#sdy.sharding_per_value<[<@mesh, [{\"ep\"}, {}]>]>"))
                .property("manual_axes", MlirParser.parseAttribute("#sdy<manual_axes{\"ep\"}>")).build();
        Module m = Module.of(null, null, List.of(mesh, c, topk, mc), null);
        mc.def().verifier().verify(mc);
        assertThat(MlirPrinter.print(m)).isEqualTo("""
                module {
                  sdy.mesh @mesh = <["ep"=4]>
                  %cst = stablehlo.constant dense<0.000000e+00> : tensor<16x8xf32>
                  %values, %indices = chlo.top_k(%cst, k = 2) : tensor<16x8xf32> -> (tensor<16x2xf32>, tensor<16x2xi32>)
                  %0 = sdy.manual_computation(%cst) in_shardings=[<@mesh, [{"ep"}, {}]>] out_shardings=[<@mesh, [{"ep"}, {}]>] manual_axes={"ep"} (%arg0: tensor<4x8xf32>) {
                    sdy.return %arg0 : tensor<4x8xf32>
                  } : (tensor<16x8xf32>) -> tensor<16x8xf32>
                }
                """);
    }

    @Test
    void scanNamesItsBodyArgumentsInputAndCarry() {
        io.hlo4j.mlir.types.Type i32 = MlirParser.parseType("tensor<i32>");
        TensorType v = (TensorType) MlirParser.parseType("tensor<4xi32>");
        Operation in = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of(v, new byte[16])).resultType(v).build();
        Operation init = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of((TensorType) i32, new byte[4]))
                .resultType(i32).build();
        Block.Builder bb = Block.builder();
        BlockArgument x = bb.addArgument(i32);
        BlockArgument carry = bb.addArgument(i32);
        Operation add = bb.append(Operation.builder("stablehlo.add").operands(x, carry).resultType(i32).build());
        bb.append(Operation.builder("stablehlo.return").operands(add.result(), add.result()).build());
        Operation scan = Operation.builder("chlo.scan").operands(in.result(), init.result()).resultTypes(v, i32).region(Region.of(bb.build()))
                .property("dimension", IntegerAttr.i64(0))
                .property("operandSegmentSizes", io.hlo4j.mlir.attr.DenseArrayAttr.ofInts(IntegerType.I32, 1, 1))
                .property("resultSegmentSizes", io.hlo4j.mlir.attr.DenseArrayAttr.ofInts(IntegerType.I32, 1, 1)).build();
        scan.def().verifier().verify(scan);
        String text = MlirPrinter.print(Module.of(null, null, List.of(in, init, scan), null));
        // ScanOp::print: "(ins) inits (inits) dimension=N " then the attr-dict (none) and " {region} : type".
        assertThat(text.replaceAll("\\s+", " ")).contains(
                "%0:2 = chlo.scan(%c) inits (%c_0) dimension=0 { ^bb0(%input: tensor<i32>, %carry: tensor<i32>): "
                        + "%1 = stablehlo.add %input, %carry : tensor<i32> stablehlo.return %1, %1 : tensor<i32>, tensor<i32> } "
                        + ": (tensor<4xi32>, tensor<i32>) -> (tensor<4xi32>, tensor<i32>)");
    }
}
