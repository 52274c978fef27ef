package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fft, triangular_solve, cholesky and batch_norm_* against numpy: scripts/gen_linalg_fixtures.py writes the inputs
 * and numpy's results (float64/complex128 arithmetic, cast to the result type) under fixtures/linalg/. Each case
 * is one op in a one-op module, run on the interpreter; every element must agree within a few units of the
 * type's precision relative to the largest expected magnitude.
 */
class LinalgFixturesTest {
    static Path dir() {
        try {
            return Path.of(LinalgFixturesTest.class.getResource("/fixtures/linalg/cases.txt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String[]> cases() throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir().resolve("cases.txt"))) if (!line.isBlank()) out.add(line.trim().split(" "));
        return out;
    }

    @Test
    void theFixturesCoverEveryKindAndMode() throws IOException {
        Map<String, Integer> kinds = new TreeMap<>();
        for (String[] c : cases()) kinds.merge(c[0] + (c[0].equals("fft") ? " " + c[4] : ""), 1, Integer::sum);
        assertThat(kinds).containsOnlyKeys("fft FFT", "fft IFFT", "fft RFFT", "fft IRFFT", "triangular_solve", "cholesky",
                "batch_norm_inference", "batch_norm_training", "batch_norm_grad");
        assertThat(kinds.get("triangular_solve")).isEqualTo(96); // 4 types x left/right x lower/upper x unit x 3 transposes
    }

    @TestFactory
    List<DynamicTest> everyCaseMatchesNumpy() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String[] c : cases()) tests.add(DynamicTest.dynamicTest(c[1], () -> runCase(c)));
        return tests;
    }

    private static void runCase(String[] c) throws IOException {
        String kind = c[0], name = c[1];
        int nIn = Integer.parseInt(c[2]), nOut = Integer.parseInt(c[3]);
        List<Tensor> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (int i = 0; i < nIn; i++) ins.add(HostArrays.toTensor(Npy.read(dir().resolve(name + "_in" + i + ".npy"))));
        for (int i = 0; i < nOut; i++) outs.add(HostArrays.toTensor(Npy.read(dir().resolve(name + "_out" + i + ".npy"))));
        StringBuilder args = new StringBuilder(), argTypes = new StringBuilder(), resTypes = new StringBuilder();
        for (int i = 0; i < nIn; i++) {
            if (i > 0) { args.append(", "); argTypes.append(", "); }
            args.append("%a").append(i).append(": ").append(ins.get(i).type);
            argTypes.append(ins.get(i).type);
        }
        for (int i = 0; i < nOut; i++) resTypes.append(i > 0 ? ", " : "").append(outs.get(i).type);
        String operands = String.join(", ", java.util.stream.IntStream.range(0, nIn).mapToObj(i -> "%a" + i).toList());
        String sig = "(" + argTypes + ") -> (" + resTypes + ")";
        String body = switch (kind) {
            case "fft" -> "\"stablehlo.fft\"(" + operands + ") {fft_type = #stablehlo<fft_type " + c[4] + ">, fft_length = array<i64: "
                    + c[5] + ">} : " + sig;
            case "triangular_solve" -> "\"stablehlo.triangular_solve\"(" + operands + ") {left_side = " + c[4] + ", lower = " + c[5]
                    + ", unit_diagonal = " + c[6] + ", transpose_a = #stablehlo<transpose " + c[7] + ">} : " + sig;
            case "cholesky" -> "\"stablehlo.cholesky\"(" + operands + ") {lower = " + c[4] + "} : " + sig;
            default -> "\"stablehlo." + kind + "\"(" + operands + ") {epsilon = " + c[4] + " : f32, feature_index = " + c[5]
                    + " : i64} : " + sig;
        };
        StringBuilder rets = new StringBuilder();
        for (int i = 0; i < nOut; i++) rets.append(i > 0 ? ", " : "").append("%r#").append(i);
        String text = "func.func @main(" + args + ") -> (" + resTypes + ") {\n  %r:" + nOut + " = " + body + "\n  func.return "
                + rets + " : " + resTypes + "\n}\n";
        if (nOut == 1) text = text.replace("%r:1 =", "%r =").replace("%r#0", "%r");
        List<RtValue> got = new Interpreter(MlirParser.parseModule(text, name + ".mlir")).run(List.copyOf(ins));
        for (int i = 0; i < nOut; i++) assertClose(name + " result " + i, (Tensor) got.get(i), outs.get(i));
    }

    static void assertClose(String what, Tensor got, Tensor want) {
        assertThat(got.type).as(what + " type").isEqualTo(want.type);
        FloatType ft = want.elementType instanceof ComplexType ct ? (FloatType) ct.elementType() : (FloatType) want.elementType;
        double ulp = ft.kind() == FloatKind.F64 ? 0x1p-52 : 0x1p-23;
        double scale = 1;
        for (int k = 0; k < want.size; k++) {
            scale = Math.max(scale, Math.abs(want.re[k]));
            if (want.im != null) scale = Math.max(scale, Math.abs(want.im[k]));
        }
        double tol = 64 * ulp * scale;
        for (int k = 0; k < want.size; k++) {
            assertThat(Math.abs(got.re[k] - want.re[k])).as("%s element %d real: got %s want %s", what, k, got.re[k], want.re[k]).isLessThanOrEqualTo(tol);
            if (want.im != null) {
                assertThat(Math.abs(got.im[k] - want.im[k])).as("%s element %d imag: got %s want %s", what, k, got.im[k], want.im[k]).isLessThanOrEqualTo(tol);
            }
        }
    }
}
