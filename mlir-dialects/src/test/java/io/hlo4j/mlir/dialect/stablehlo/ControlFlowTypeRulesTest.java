package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The type rules of stablehlo.if, case and while, which the DSL's cond, switchCase, whileLoop and scan trace
 * through: on every use in the conformance files (whole files parsed, since the branches and bodies read values
 * of the enclosing function), the rule infers exactly the result types the file states and the verifier accepts.
 * Their rules run all their verifiers' checks (RegionOpsTest checks the refusals word for word), so a builder that
 * inferred the results skips the verifier.
 */
class ControlFlowTypeRulesTest {
    static final Set<String> OPS = Set.of("stablehlo.if", "stablehlo.case", "stablehlo.while");

    @Test
    void inferredResultsAreTheOnesWrittenInTheConformanceFiles() throws IOException {
        Map<String, Integer> perOp = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        List<Path> files = new ArrayList<>(ConformanceFiles.files("testdata"));
        files.addAll(ConformanceFiles.files("interpret"));
        for (Path f : files) {
            String text = ConformanceFiles.read(f);
            if (OPS.stream().noneMatch(text::contains)) continue;
            for (Module m : MlirParser.parseFile(f)) {
                Walker.walk(m.op(), op -> {
                    if (!OPS.contains(op.name())) return;
                    assertThat(op.def().inferenceVerifies()).as(op.name()).isTrue();
                    op.def().verifier().verify(op);
                    List<Type> inferred = op.def().typeInference().inferResultTypes(op.operandTypes(), op.properties(), op.regions());
                    if (!inferred.equals(op.resultTypes())) {
                        failures.add(f.getFileName() + " " + op.name() + ": written " + op.resultTypes() + ", inferred " + inferred);
                    }
                    perOp.merge(op.name(), 1, Integer::sum);
                });
            }
        }
        System.out.println("control-flow type rules on conformance uses: " + perOp);
        assertThat(perOp.keySet()).containsExactlyInAnyOrderElementsOf(OPS);
        perOp.forEach((op, n) -> assertThat(n).as(op + " uses").isGreaterThanOrEqualTo(2));
        assertThat(failures).isEmpty();
    }
}
