package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code run --input FOLDER}: the folder's numbered .npy files, in number order (arg10 after arg9). */
class RunInputFolderTest {
    /** 11 arguments, so that name order (arg10 before arg2) and number order differ: x0 - x1 + ... + x10 by hand. */
    static Path alternatingSum(Path dir) throws Exception {
        StringBuilder sig = new StringBuilder(), body = new StringBuilder();
        for (int i = 0; i < 11; i++) sig.append(i == 0 ? "" : ", ").append("%a").append(i).append(": tensor<f32>");
        String acc = "%a0";
        for (int i = 1; i < 11; i++) {
            body.append("  %s").append(i).append(" = stablehlo.").append(i % 2 == 1 ? "subtract" : "add").append(" ").append(acc)
                    .append(", %a").append(i).append(" : tensor<f32>\n");
            acc = "%s" + i;
        }
        Path f = dir.resolve("alt.mlir");
        Files.writeString(f, "func.func @main(" + sig + ") -> tensor<f32> {\n" + body + "  return " + acc + " : tensor<f32>\n}\n");
        return f;
    }

    static void write(Path p, double v) throws Exception {
        Files.createDirectories(p.getParent());
        Npy.write(p, HostArray.fromDoubles(TensorType.of(FloatType.F32), v));
    }

    @Test
    void aFolderIsItsNumberedFilesInNumberOrder(@TempDir Path dir) throws Exception {
        Path f = alternatingSum(dir);
        double want = 0;
        for (int i = 0; i < 11; i++) {
            double v = (i + 1) * (i + 1);   // 1, 4, 9, ...: a wrong order changes the sum
            write(dir.resolve("in").resolve("arg" + i + ".npy"), v);
            want += i % 2 == 0 ? v : -v;
        }
        Files.writeString(dir.resolve("in").resolve("README.txt"), "not an input");
        Cli.Run r = Cli.run("run", f.toString(), "--input", dir.resolve("in").toString(), "-o", dir.resolve("out").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/result0.npy")).getDouble(0)).isEqualTo(want);
    }

    @Test
    void gapsMixedPrefixesAndEmptyFoldersAreRefused(@TempDir Path dir) throws Exception {
        Path f = alternatingSum(dir);
        for (int i : new int[] {0, 1, 3}) write(dir.resolve("gap").resolve("arg" + i + ".npy"), i);
        Cli.Run gap = Cli.run("run", f.toString(), "--input", dir.resolve("gap").toString());
        assertThat(gap.code()).isEqualTo(1);
        assertThat(gap.err()).contains("gap: --input folder: arg2.npy is missing (found 3 numbered files)");

        write(dir.resolve("mixed").resolve("arg0.npy"), 0);
        write(dir.resolve("mixed").resolve("result1.npy"), 1);
        Cli.Run mixed = Cli.run("run", f.toString(), "--input", dir.resolve("mixed").toString());
        assertThat(mixed.code()).isEqualTo(1);
        assertThat(mixed.err()).contains("--input folder: it holds both arg<i>.npy and result<i>.npy files");

        Files.createDirectories(dir.resolve("empty"));
        Cli.Run empty = Cli.run("run", f.toString(), "--input", dir.resolve("empty").toString());
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err()).contains("--input folder: it holds no numbered .npy file");
    }

    @Test
    void aNumberWrittenTwiceIsRefused(@TempDir Path dir) throws Exception {
        Path f = alternatingSum(dir);
        for (int i = 0; i < 11; i++) write(dir.resolve("in").resolve("arg" + i + ".npy"), i);
        write(dir.resolve("in").resolve("arg02.npy"), 2);
        Cli.Run r = Cli.run("run", f.toString(), "--input", dir.resolve("in").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("--input folder: it holds both arg02.npy and arg2.npy (the same number written twice)");
    }

    /** One file too many: the count error says what the folder stood for. */
    @Test
    void theCountErrorNamesTheFolderAndItsFiles(@TempDir Path dir) throws Exception {
        Path f = alternatingSum(dir);
        for (int i = 0; i < 12; i++) write(dir.resolve("in").resolve("arg" + i + ".npy"), i);
        Cli.Run r = Cli.run("run", f.toString(), "--input", dir.resolve("in").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("--input " + dir.resolve("in") + " stands for arg0..arg11.npy (12 files); @main takes 11 arguments");
        Cli.Run mixed = Cli.run("run", f.toString(), "--input", dir.resolve("in").toString(), "--input", dir.resolve("in/arg0.npy").toString());
        assertThat(mixed.err()).contains("(12 files) (13 --input files in all); @main takes 11 arguments");
    }

    /** run -o writes result0..result{n-1}.npy and removes the result files an earlier run with more results left there. */
    @Test
    void runOutputRemovesStaleResultsOfALongerRun(@TempDir Path dir) throws Exception {
        Path three = dir.resolve("three.mlir"), one = dir.resolve("one.mlir");
        Files.writeString(three, "func.func @main() -> (tensor<f32>, tensor<f32>, tensor<f32>) {\n"
                + "  %c = stablehlo.constant dense<1.0> : tensor<f32>\n  return %c, %c, %c : tensor<f32>, tensor<f32>, tensor<f32>\n}\n");
        Files.writeString(one, "func.func @main() -> tensor<f32> {\n  %c = stablehlo.constant dense<2.0> : tensor<f32>\n"
                + "  return %c : tensor<f32>\n}\n");
        Path out = dir.resolve("out");
        assertThat(Cli.run("run", three.toString(), "-o", out.toString()).code()).isZero();
        Files.writeString(out.resolve("notes.txt"), "kept");
        assertThat(out.resolve("result2.npy")).exists();
        Cli.Run r = Cli.run("run", one.toString(), "-o", out.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("notes.txt", "result0.npy");
        }
        assertThat(Npy.read(out.resolve("result0.npy")).getDouble(0)).isEqualTo(2.0);

        // per device folders likewise
        assertThat(Cli.run("run", three.toString(), "--devices", "2", "-o", out.toString()).code()).isZero();
        assertThat(Cli.run("run", one.toString(), "--devices", "2", "-o", out.toString()).code()).isZero();
        for (String d : new String[] {"device0", "device1"}) {
            try (var files = Files.list(out.resolve(d))) { assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("result0.npy"); }
        }
    }
}
