package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * interpret/check.mlir and probe.mlir through the real parser and printer. The expected lines are the
 * files' statements as MLIR's printer writes them: constants renamed %c/%cst, floats in %e form, and the
 * tolerance written in the attr-dict moved into the ", tolerance = " group of the assembly format.
 */
class CheckFileTest {
    private static String printFile(String rel) throws IOException {
        Path p = ConformanceFiles.dir().resolve(rel);
        List<Module> modules = MlirParser.parseSplit(Files.readString(p), p.toString());
        StringBuilder sb = new StringBuilder();
        for (Module m : modules) {
            ModuleVerifier.verify(m);
            sb.append(MlirPrinter.print(m));
        }
        return sb.toString();
    }

    @Test
    void checkMlirPrintsUpstreamsForms() throws IOException {
        List<String> lines = printFile("interpret/check.mlir").lines().map(String::trim).toList();
        assertThat(lines).contains(
                "check.expect_eq %c, %c_0 : tensor<3xi64>",
                "check.expect_eq_const %c, dense<[-2, 0, 2]> : tensor<3xi64>",
                "check.expect_almost_eq %cst, %cst_0 : tensor<f64>",
                "check.expect_almost_eq_const %cst, dense<5.000100e+00> : tensor<f64>",
                "check.expect_almost_eq %cst, %cst_0, tolerance = 1.000000e-01 : tensor<f64>",
                "check.expect_almost_eq_const %cst, dense<5.100000e+00> : tensor<f64>, tolerance = 1.000000e-01",
                "check.expect_close %cst, %cst_0, max_ulp_difference = 3 : tensor<f16>, tensor<f16>");
    }

    @Test
    void probeMlirPrintsUpstreamsForms() throws IOException {
        List<String> lines = printFile("interpret/probe.mlir").lines().map(String::trim).toList();
        assertThat(lines).contains(
                "%1 = interpreter.probe %0, probe_id = \"probe_i1\" : tensor<3x1xi1>",
                "check.expect_serialized_eq %1, probe_id = \"probe_i1\" : tensor<3x1xi1>",
                "%1 = interpreter.probe %0, probe_id = \"probe/0\" : tensor<3x1xi64>",
                "check.expect_serialized_eq %c_1, probe_id = \"probe_iterations\", iter = 0 : tensor<i64>");
    }
}
