package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.TypeInference;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** stablehlo.constant's syntax and result names, and every op's type inference against the conformance files. */
class ConstantAndInferenceTest {
    private static final Pattern INT_CONSTANT =
            Pattern.compile("%\\S+ = stablehlo\\.constant dense<[-0-9\\[\\], ]+> : tensor<[0-9x]*u?i(8|16|32|64)>");

    @Test
    void integerConstantsOfTestdataPrintUnchangedThroughMlirPrinter() {
        List<Conformance.Statement> stmts = Conformance.statements(ConformanceFiles.files("testdata"), Set.of("stablehlo.constant"));
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Conformance.Statement s : stmts) {
            if (!INT_CONSTANT.matcher(s.text()).matches()) continue;
            OpSnippet t = OpSnippet.parse(s.text());
            t.verify();
            String printed = MlirPrinter.print(t.op(), PrintOptions.DEFAULT).strip();
            // The real printer names the result itself: %c for integer constants.
            String want = "%c = " + s.text().substring(s.text().indexOf(" = ") + 3);
            checked++;
            if (!printed.equals(want)) failures.add(s + "\n   printed: " + printed);
        }
        System.out.printf("integer constants: %d checked, %d failures%n", checked, failures.size());
        assertThat(checked).isGreaterThan(500);
        assertThat(failures).isEmpty();
    }

    @Test
    void floatConstantIsNamedCstAndQuantizedFallsBackToGeneric() {
        TensorType f32 = TensorType.scalar(FloatType.F32);
        byte[] one = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).array();
        Operation c = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of(f32, one)).resultType(f32).build();
        c.def().verifier().verify(c);
        assertThat(MlirPrinter.print(c, PrintOptions.DEFAULT).strip()).isEqualTo("%cst = stablehlo.constant dense<1.000000e+00> : tensor<f32>");
        assertThat(c.def().resultNamer().names(c)).containsExactly("cst");

        TensorType i8 = TensorType.of(IntegerType.I8, 2);
        TensorType q = i8.withElementType(new QuantizedType(IntegerType.I8, null, null, FloatType.F32, null, List.of(0.5), List.of(0L)));
        Operation qc = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of(i8, new byte[]{1, 2})).resultType(q).build();
        qc.def().verifier().verify(qc);
        assertThat(qc.def().syntax().canPrint(qc)).isFalse();
        assertThat(qc.def().resultNamer().names(qc)).containsExactly("cst");
        Operation bad = Operation.builder("stablehlo.constant").property("value", DenseElementsAttr.of(i8, new byte[]{1, 2}))
                .resultType(TensorType.of(IntegerType.I16, 2)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bad.def().verifier().verify(bad))
                .hasMessageContaining("(constant_c1) value type tensor<2xi8> does not match result type tensor<2xi16>");
    }

    /** Where an op declares type inference, it must reproduce the result types written in the conformance files. */
    @Test
    void typeInferenceMatchesConformanceResults() {
        List<Conformance.Statement> stmts = new ArrayList<>(Conformance.statements(ConformanceFiles.files("testdata"), ConformanceSyntaxTest.prettyOps()));
        stmts.addAll(Conformance.statements(ConformanceFiles.files("interpret"), ConformanceSyntaxTest.prettyOps()));
        List<String> failures = new ArrayList<>();
        Set<String> opsChecked = new java.util.TreeSet<>();
        int checked = 0;
        for (Conformance.Statement s : stmts) {
            if (s.text().contains("!quant.")) continue; // quantization parameters of results are not inferable
            Operation op = OpSnippet.parse(s.text()).op();
            OpDef def = op.def();
            TypeInference ti = def.typeInference();
            if (ti == null) continue;
            checked++;
            opsChecked.add(def.name());
            var inferred = ti.inferResultTypes(op.operandTypes(), op.properties(), op.regions());
            // dot_general's result element type is the caller's choice (a preferred accumulation type); its rule
            // gives the shape with the lhs element type, so only the shape is compared when the file chose another.
            if (def.name().equals("stablehlo.dot_general") && op.result().type() instanceof TensorType rt) {
                inferred = List.of(((TensorType) inferred.get(0)).withElementType(rt.elementType()));
            }
            if (!inferred.equals(op.resultTypes())) failures.add(s + "\n   inferred: " + inferred);
        }
        System.out.printf("type inference: %d statements of %d ops, %d failures%n", checked, opsChecked.size(), failures.size());
        assertThat(opsChecked.size()).isGreaterThan(30);
        assertThat(failures).isEmpty();
    }
}
