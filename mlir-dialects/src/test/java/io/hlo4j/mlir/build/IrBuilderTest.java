package io.hlo4j.mlir.build;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IrBuilderTest {
    static final TensorType F2x3 = TensorType.of(FloatType.F32, 2, 3);
    static final Location L = new Location.FileLineCol("Model.java", 7, 3);

    @Test
    void buildsAFunctionThatPrintsParsesBackAndVerifies() {
        FunctionBuilder fb = IrBuilder.function("main", List.of(F2x3, F2x3), L);
        StablehloBuilder h = new StablehloBuilder(fb);
        OpResult s = h.add(fb.argument(0), fb.argument(1), L);
        OpResult e = h.unary("exponential", s, L);
        OpResult zero = h.constant(TensorType.scalar(FloatType.F32), 0, L);
        OpResult sum = h.reduce(e, zero, new long[]{1}, "add", L);
        OpResult t = h.transpose(e, new long[]{1, 0}, L);
        OpResult d = h.dotGeneral(e, t, new long[0], new long[0], new long[]{1}, new long[]{0}, FloatType.F64, L);
        OpResult c = h.compare("GT", sum, h.broadcastInDim(zero, new long[]{2}, new long[0], L), null, L);
        Operation f = fb.finish(List.of(sum, d, c));
        Module m = FunctionBuilder.module(null, List.of(f));
        ModuleVerifier.verify(m);
        assertThat(sum.type()).isEqualTo(TensorType.of(FloatType.F32, 2));
        assertThat(d.type()).isEqualTo(TensorType.of(FloatType.F64, 2, 2));
        assertThat(c.type()).isEqualTo(TensorType.of(IntegerType.I1, 2));

        String text = MlirPrinter.print(m);
        assertThat(text).contains("stablehlo.reduce", "stablehlo.dot_general", "stablehlo.transpose");
        Module back = MlirParser.parseModule(text, "built.mlir");
        ModuleVerifier.verify(back);
        assertThat(MlirPrinter.print(back)).isEqualTo(text);
        // Every op carries the caller's location.
        String withLocs = MlirPrinter.print(m, new PrintOptions(false, true));
        assertThat(withLocs).contains("loc(\"Model.java\":7:3)");
        for (Operation op : f.region(0).entry().operations()) assertThat(op.location()).isEqualTo(L);
    }

    @Test
    void whileAndCaseRegionsBuild() {
        TensorType i32 = TensorType.scalar(IntegerType.I32);
        FunctionBuilder fb = IrBuilder.function("loop", List.of(i32), L);
        StablehloBuilder h = new StablehloBuilder(fb);
        OpResult ten = h.constant(i32, 10, L);
        List<OpResult> w = h.whileLoop(List.of(fb.argument(0)),
                c -> List.of(c.compare("LT", c.ir().argument(0), ten, "SIGNED", L)),
                bd -> List.of(bd.add(bd.ir().argument(0), bd.constant(i32, 1, L), L)), L);
        List<OpResult> k = h.caseOp(h.constant(i32, 1, L), List.of(
                br -> List.of(br.constant(i32, 5, L)),
                br -> List.of(w.get(0))), L);
        Module m = FunctionBuilder.module(null, List.of(fb.finish(List.of(k.get(0)))));
        ModuleVerifier.verify(m);
        String text = MlirPrinter.print(m);
        assertThat(MlirPrinter.print(MlirParser.parseModule(text, "w.mlir"))).isEqualTo(text);
    }

    @Test
    void badOpFailsAtEmissionWithTheOpsMessageAndLocation() {
        FunctionBuilder fb = IrBuilder.function("bad", List.of(F2x3, TensorType.of(FloatType.F32, 3, 2)), L);
        StablehloBuilder h = new StablehloBuilder(fb);
        assertThatThrownBy(() -> h.add(fb.argument(0), fb.argument(1), L))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("stablehlo.add")
                .satisfies(ex -> assertThat(((Hlo4jException) ex).location()).isEqualTo(L));
        assertThatThrownBy(() -> h.reshape(fb.argument(0), new long[]{4, 2}, L))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("stablehlo.reshape");
    }

    @Test
    void valueOfAnotherFunctionIsRefused() {
        FunctionBuilder a = IrBuilder.function("a", List.of(F2x3), L);
        FunctionBuilder b = IrBuilder.function("b", List.of(F2x3), L);
        assertThatThrownBy(() -> new StablehloBuilder(b).add(a.argument(0), b.argument(0), L))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("operand #0 of 'stablehlo.add'")
                .hasMessageContaining("not defined in this function");
    }
}
