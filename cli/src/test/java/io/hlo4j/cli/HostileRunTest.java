package io.hlo4j.cli;

import io.hlo4j.mlir.testing.EndlessWhile;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run} and {@code compile} used carelessly or with hostile files: each refusal is one line naming the file, flag or
 * op at fault, before anything runs (stdout stays empty) and before anything is written.
 */
class HostileRunTest {
    @TempDir Path dir;
    Path add, a, b;

    @BeforeEach void files() throws IOException {
        add = dir.resolve("add.mlir");
        Files.writeString(add, """
                func.func @main(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %b : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
        a = dir.resolve("a.npy");
        b = dir.resolve("b.npy");
        Npy.write(a, HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1f, 2f));
        Npy.write(b, HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 3f, 4f));
    }

    private static void refused(Cli.Run r, int code, String err) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.err()).as(r.toString()).isEqualTo(err);
        assertThat(r.out()).as(r.toString()).isEmpty();
    }

    @Test void aFolderAsModuleOrInputIsNamed() {
        refused(Cli.run("run", dir.toString(), "--input", a.toString()), 1, "hlo4j: " + dir + ": is a directory\n");
        // a folder input stands for its numbered .npy files (RunInputFolderTest); this one holds a.npy, b.npy: refused by name
        refused(Cli.run("run", add.toString(), "--input", dir.toString(), "--input", b.toString()), 1,
                "hlo4j: " + dir + ": --input folder: a.npy is not a numbered file (<name><i>.npy)\n");
    }

    @Test void anInputOfTheWrongTypeOrShapeNamesTheFileAndTheArgument() throws IOException {
        Path f64 = dir.resolve("f64.npy");
        Npy.write(f64, HostArray.fromDoubles(TensorType.of(FloatType.F64, 2), 1, 2));
        refused(Cli.run("run", add.toString(), "--input", f64.toString(), "--input", b.toString()), 1,
                "hlo4j: " + f64 + ": --input for argument 0 of @main (" + add + ":1:17) is tensor<2xf64>, but the argument is tensor<2xf32>\n");
        Path wide = dir.resolve("wide.npy");
        Npy.write(wide, HostArray.fromFloats(TensorType.of(FloatType.F32, 1, 2), 1f, 2f));
        // dealt out over 2 devices: the 4th file is device 1's argument 1 (both counted from 0, as every other message counts)
        refused(Cli.run("run", add.toString(), "--devices", "2", "--input", a.toString(), "--input", b.toString(),
                        "--input", a.toString(), "--input", wide.toString()), 1,
                "hlo4j: " + wide + ": --input for device 1's argument 1 of @main (" + add + ":1:36) is tensor<1x2xf32>, but the argument is tensor<2xf32>\n");
        // two devices sharing one set of inputs: no device is named, each file feeds every device's argument
        refused(Cli.run("run", add.toString(), "--devices", "2", "--input", a.toString(), "--input", wide.toString()), 1,
                "hlo4j: " + wide + ": --input for argument 1 of @main (" + add + ":1:36) is tensor<1x2xf32>, but the argument is tensor<2xf32>\n");
        // four files on one device are no device's inputs: the count is refused, not a file as some device's argument
        refused(Cli.run("run", add.toString(), "--input", a.toString(), "--input", b.toString(), "--input", a.toString(), "--input", wide.toString()), 1,
                "hlo4j: " + add + ": @main takes 2 arguments; got 4 --input files" + RunChecks.INPUT_HINT + "\n");
    }

    @Test void devicesOutOfRangeAreAUsageErrorBeforeAnyFileIsRead() {
        for (String n : new String[] {"0", "-1", "4097", "2000000000"}) {
            // the module does not exist: the flag is refused first
            refused(Cli.run("run", dir.resolve("missing.mlir").toString(), "--devices", n), 2,
                    "hlo4j run: --devices must be between 1 and 4096, got " + n + " (see 'hlo4j run --help')\n");
        }
    }

    @Test void anOutputFolderThatCannotBeOneIsRefusedBeforeTheRun() {
        refused(Cli.run("run", add.toString(), "--input", a.toString(), "--input", b.toString(), "-o", a.toString()), 1,
                "hlo4j: " + a + ": exists and is not a directory (-o)\n");
        Path under = a.resolve("out");
        refused(Cli.run("run", add.toString(), "--input", a.toString(), "--input", b.toString(), "-o", under.toString()), 1,
                "hlo4j: " + under + ": " + a + " is a file, not a directory (-o)\n");
    }

    @Test void aTensorTooLargeForTheInterpreterNamesTheOpAndLine() throws IOException {
        Path big = dir.resolve("big.mlir");
        Files.writeString(big, """
                func.func @main() -> tensor<100000x100000xf32> {
                  %0 = stablehlo.iota dim = 0 : tensor<100000x100000xf32>
                  return %0 : tensor<100000x100000xf32>
                }
                """);
        Path out = dir.resolve("out");
        refused(Cli.run("run", big.toString(), "-o", out.toString()), 1, "hlo4j: " + big + ":2:3: stablehlo.iota: result #0 "
                + "tensor<100000x100000xf32> has 10000000000 elements; the interpreter holds at most 1073741807 per tensor\n");
        assertThat(out).doesNotExist();
    }

    @Test void aDynamicShapeNamesTheOpAndLine() throws IOException {
        Path dyn = dir.resolve("dyn.mlir");
        Files.writeString(dyn, """
                func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> {
                  %0 = stablehlo.add %x, %x : tensor<?xf32>
                  return %0 : tensor<?xf32>
                }
                """);
        refused(Cli.run("run", dyn.toString(), "--input", a.toString()), 1, "hlo4j: " + dyn + ":2:3: stablehlo.add: result #0 has "
                + "the dynamic type tensor<?xf32>; the interpreter runs programs with static shapes only\n");
    }

    /** Only what the entry reaches is checked: an unused function with dynamic shapes does not stop @main. */
    @Test void aFunctionTheEntryNeverCallsIsNotChecked() throws IOException {
        Path m = dir.resolve("unused.mlir");
        Files.writeString(m, """
                func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %x, %x : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @unused(%y: tensor<?xf32>) -> tensor<?xf32> {
                  %0 = stablehlo.add %y, %y : tensor<?xf32>
                  return %0 : tensor<?xf32>
                }
                """);
        Cli.Run r = Cli.run("run", m.toString(), "--input", a.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
    }

    @Test void aPluginThatIsNoLibraryIsRefusedBeforeLoading() throws IOException {
        String notLib = "is not a shared library (no ELF or Mach-O header); --pjrt-plugin names a PJRT plugin such as "
                + "xla_cuda_plugin.so\n";
        // loading it would make the JVM print its own warnings; the check reads the first bytes instead
        refused(Cli.run("run", add.toString(), "--input", a.toString(), "--input", b.toString(), "--pjrt-plugin", a.toString()), 1,
                "hlo4j: " + a + ": " + notLib);
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", a.toString()), 1, "hlo4j: " + a + ": " + notLib);
        Path missing = dir.resolve("nope.so");
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", missing.toString()), 1,
                "hlo4j: " + missing + ": no such file (--pjrt-plugin)\n");
        refused(Cli.run("run", add.toString(), "--pjrt-plugin", dir.toString()), 1,
                "hlo4j: " + dir + ": is a directory (--pjrt-plugin takes a file)\n");
        Path empty = Files.createFile(dir.resolve("empty.so"));
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", empty.toString()), 1, "hlo4j: " + empty + ": " + notLib);
    }

    @Test void pjrtOptionWithoutPluginIsAUsageError() {
        refused(Cli.run("run", add.toString(), "--pjrt-option", "a=b"), 2,
                "hlo4j run: --pjrt-option needs --pjrt-plugin (or HLO4J_PJRT_PLUGIN) (see 'hlo4j run --help')\n");
    }

    @Test void compileNamesAModuleThatIsNotText() throws IOException {
        Path elf = Files.write(dir.resolve("fake.so"), elf(3, 1)); // passes the header check; the module fails first
        Path garbage = dir.resolve("garbage.mlir");
        Files.write(garbage, new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE, 0x00, 0x41});
        refused(Cli.run("compile", garbage.toString(), "--pjrt-plugin", elf.toString()), 1, "hlo4j: " + garbage + ": not valid UTF-8 text (byte 0xC3 at offset 0)\n");
        Path out = dir.resolve("o.hlo");
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", elf.toString(), "--dump-optimized", dir.toString()), 1,
                "hlo4j: " + dir + ": is a directory (--dump-optimized takes a file name)\n");
        assertThat(out).doesNotExist();
    }

    @Test void aMeshTooLargeToSimulateIsRefusedByName() throws IOException {
        Path big = dir.resolve("bigmesh.mlir");
        Files.writeString(big, """
                module @m attributes {mhlo.num_partitions = 1410065408 : i32} {
                  sdy.mesh @mesh = <["x"=100000, "y"=100000]>
                  func.func @main(%a: tensor<2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) -> tensor<2xf32> {
                    return %a : tensor<2xf32>
                  }
                }
                """);
        Cli.Run r = Cli.run("run", big.toString(), "--spmd", "--input", a.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("hlo4j: " + big + ":2:3: sdy.mesh @mesh ")
                .endsWith(" has 10000000000 devices; hlo4j simulates at most 4096 (one thread each)\n").hasLineCount(1);
        assertThat(r.out()).isEmpty();
    }

    @Test void anOptimizedProgramPathThatIsAFolderIsNamed() throws IOException {
        Path pb = Files.createDirectory(dir.resolve("x.pb"));
        refused(Cli.run("inspect", pb.toString()), 1, "hlo4j: " + pb + ": is a directory\n");
    }

    @Test void recursionIsRefusedAtTheCallThatClosesTheCycle() throws IOException {
        Path rec = dir.resolve("rec.mlir");
        Files.writeString(rec, """
                func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @f(%x) : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                func.func private @f(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @main(%x) : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
        // it used to run until the thread stack ran out
        refused(Cli.run("run", rec.toString(), "--input", a.toString()), 1, "hlo4j: " + rec + ":6:3: cannot run @main: recursive call "
                + "chain @main -> @f -> @main (func.call @main in @f); StableHLO functions cannot recurse\n"); // the call's line once
    }

    /**
     * A custom-VJP call (as the DSL traces {@code Checkpointing.customVjp} under grad) runs its callee only: its backward
     * function, which only the autodiff calls, may be missing or call back into the program without a refusal (run
     * used to refuse both: "cannot run func.call with custom VJP @gone: the module has no function @gone", and the
     * chain @main -> @bwd -> @main). The result, x * x = [1, 4], is written and read back.
     */
    @Test void aCustomVjpsBackwardFunctionIsNotRunsBusiness() throws IOException {
        String fwd = """
                func.func private @fwd(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.multiply %x, %x : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """;
        String main = """
                func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @fwd(%x) {hlo4j.custom_vjp = @BWD} : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """;
        String back = """
                func.func private @bwd(%x: tensor<2xf32>, %y: tensor<2xf32>, %ct: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = func.call @main(%x) : (tensor<2xf32>) -> tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """;
        for (String text : List.of(main.replace("BWD", "gone") + fwd, main.replace("BWD", "bwd") + fwd + back)) {
            Path m = dir.resolve("vjp.mlir"), o = dir.resolve("out");
            Files.writeString(m, text);
            Cli.Run r = Cli.run("run", m.toString(), "--input", a.toString(), "-o", o.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(Npy.read(o.resolve("result0.npy")).toDoubleArray()).containsExactly(1, 4);
        }
    }

    /**
     * The same custom-VJP call in a module on a mesh, under {@code run --spmd} and {@code dump FILE --emit explicit}: their
     * inliner splices in the callee and never the backward function (which never runs forward), so a missing or recursing
     * one refuses nothing there either. Both used to be refused: "cannot inline func.call with custom VJP @gone: the
     * module has no function @gone" and "cannot inline @main: recursive call chain @main -> @bwd -> @main". x is split
     * over x=2; the result, x * x = [1, 4], is written and read back, and the explicit dump multiplies with no call left.
     */
    @Test void aCustomVjpsBackwardFunctionIsNotTheSpmdInlinersBusiness() throws IOException {
        String head = """
                module @m attributes {mhlo.num_partitions = 2 : i32} {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%x: tensor<2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<2xf32> {
                    %0 = func.call @fwd(%x) {hlo4j.custom_vjp = @BWD} : (tensor<2xf32>) -> tensor<2xf32>
                    return %0 : tensor<2xf32>
                  }
                  func.func private @fwd(%x: tensor<2xf32>) -> tensor<2xf32> {
                    %0 = stablehlo.multiply %x, %x : tensor<2xf32>
                    return %0 : tensor<2xf32>
                  }
                """;
        String back = """
                  func.func private @bwd(%x: tensor<2xf32>, %y: tensor<2xf32>, %ct: tensor<2xf32>) -> tensor<2xf32> {
                    %0 = func.call @main(%x) : (tensor<2xf32>) -> tensor<2xf32>
                    return %0 : tensor<2xf32>
                  }
                """;
        for (String text : List.of(head.replace("BWD", "gone") + "}\n", head.replace("BWD", "bwd") + back + "}\n")) {
            Path m = dir.resolve("vjp.mlir"), o = dir.resolve("out"), e = dir.resolve("explicit.mlir");
            Files.writeString(m, text);
            Cli.Run r = Cli.run("run", m.toString(), "--spmd", "--input", a.toString(), "-o", o.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(Npy.read(o.resolve("result0.npy")).toDoubleArray()).containsExactly(1, 4);
            Cli.Run d = Cli.run("dump", m.toString(), "--emit", "explicit", "-o", e.toString());
            assertThat(d.code()).as(d.toString()).isZero();
            assertThat(Files.readString(e)).contains("stablehlo.multiply").doesNotContain("func.call");
        }
    }

    @Test void aLoopThatNeverEndsStopsAtTheTimeout() throws IOException {
        Path loop = dir.resolve("loop.mlir");
        Files.writeString(loop, EndlessWhile.function("main"));
        Cli.Run r = Cli.run("run", loop.toString(), "--timeout", "1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("hlo4j: " + loop + ":").contains("evaluation ran past its deadline at stablehlo.")
                .hasLineCount(1);
        refused(Cli.run("run", loop.toString(), "--timeout", "0"), 2,
                "hlo4j run: --timeout must be between 1 and 604800 seconds, got 0 (see 'hlo4j run --help')\n");
    }

    @Test void runningOutOfHeapNamesTheProgramAndTheHeap() throws IOException {
        // 10^9 f64 elements: within the interpreter's element limit, 8 GB, beyond the test JVM's heap (-Xmx6g in the pom)
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 7_000_000_000L);
        Path big = dir.resolve("big.mlir");
        Files.writeString(big, """
                func.func @main() -> tensor<1000000000xf64> {
                  %0 = stablehlo.iota dim = 0 : tensor<1000000000xf64>
                  return %0 : tensor<1000000000xf64>
                }
                """);
        refused(Cli.run("run", big.toString()), 1, "hlo4j: " + big + ": out of memory running @main on 1 simulated device (Java heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB; raise -Xmx in HLO4J_JAVA_OPTS)\n");
    }

    @Test void aMalformedElfIsRefusedBeforeTheJvmWarnsAboutIt() throws IOException {
        String tail = "; --pjrt-plugin names a PJRT plugin such as xla_cuda_plugin.so\n";
        Path cut = Files.write(dir.resolve("cut.so"), java.util.Arrays.copyOf(elf(3, 1), 20));
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", cut.toString()), 1,
                "hlo4j: " + cut + ": is not a shared library (truncated ELF header)" + tail);
        Path exe = Files.write(dir.resolve("exe.so"), elf(2, 1));
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", exe.toString()), 1,
                "hlo4j: " + exe + ": is not a shared library (ELF type 2, not a shared object)" + tail);
        Path short_ = Files.write(dir.resolve("short.so"), elf(3, 50)); // 50 program headers, room for one
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", short_.toString()), 1,
                "hlo4j: " + short_ + ": is not a shared library (truncated ELF file: its program headers lie past its end)" + tail);
        // a position-independent executable: ET_DYN, with DF_1_PIE in its dynamic section's DT_FLAGS_1
        java.nio.ByteBuffer pie = java.nio.ByteBuffer.wrap(java.util.Arrays.copyOf(elf(3, 1), 64 + 56 + 32)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        pie.putLong(32, 64).putShort(54, (short) 56).putInt(64, 2).putLong(64 + 8, 120).putLong(64 + 32, 32);
        pie.putLong(120, 0x6ffffffbL).putLong(128, 0x08000000L);
        Path pieFile = Files.write(dir.resolve("pie.so"), pie.array());
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", pieFile.toString()), 1, "hlo4j: " + pieFile + ": is not a shared library"
                + " (a position-independent executable (DT_FLAGS_1 has DF_1_PIE), which the loader refuses to load)" + tail);
        Path none = Files.write(dir.resolve("none.so"), elf(3, 0)); // a shared object declaring no program headers
        refused(Cli.run("compile", add.toString(), "--pjrt-plugin", none.toString()), 1,
                "hlo4j: " + none + ": is not a shared library (ELF shared object without program headers: nothing a loader could map)" + tail);
    }

    /** An ELF64 little-endian header of type {@code type} declaring {@code phnum} program headers, with room for one. */
    private static byte[] elf(int type, int phnum) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 56).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) type).putLong(32, 64).putShort(54, (short) 56).putShort(56, (short) phnum);
        return b.array();
    }
}
