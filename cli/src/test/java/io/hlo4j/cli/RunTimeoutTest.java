package io.hlo4j.cli;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code run --timeout} on several simulated devices (--spmd and --devices): one device spins in a while loop that
 * never ends while the other waits for it in an all_reduce. The run must end soon after the timeout with exit 1, one
 * line naming the timeout, the program and where each device was, and no device thread left running.
 */
class RunTimeoutTest {
    @TempDir Path dir;

    /** Per device: a value equal to 7 spins forever (body lines 3-11); then the devices sum their values (body line 12). */
    private static final String BODY = """
                %seven = stablehlo.constant dense<7> : tensor<i32>
                %v = stablehlo.reshape %l : (tensor<1xi32>) -> tensor<i32>
                %r = stablehlo.while(%i = %v) : tensor<i32>
                  cond {
                    %c = stablehlo.compare EQ, %i, %seven : (tensor<i32>, tensor<i32>) -> tensor<i1>
                    stablehlo.return %c : tensor<i1>
                  } do {
                    %j = stablehlo.add %i, %seven : tensor<i32>
                    %k = stablehlo.subtract %j, %seven : tensor<i32>
                    stablehlo.return %k : tensor<i32>
                  }
                %s = "stablehlo.all_reduce"(%r) ({
                  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
                    %t = stablehlo.add %a, %b : tensor<i32>
                    stablehlo.return %t : tensor<i32>
                }) {replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<i32>) -> tensor<i32>
                %o = stablehlo.reshape %s : (tensor<i32>) -> tensor<1xi32>
            """;

    /** The body in a shard_map over a 2-device mesh: each device holds one element of the global tensor<2xi32>. */
    private static final String SPMD = """
            module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2]>
              func.func @main(%x: tensor<2xi32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<2xi32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) {
                %y = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"x"}]>] out_shardings=[<@mesh, [{"x"}]>] manual_axes={"x"} (%l: tensor<1xi32>) {
            """ + BODY + """
                  sdy.return %o : tensor<1xi32>
                } : (tensor<2xi32>) -> tensor<2xi32>
                return %y : tensor<2xi32>
              }
            }
            """;

    /** The body as the program every device of {@code --devices 2} runs, on its own input. */
    private static final String REPLICATED = """
            func.func @main(%l: tensor<1xi32>) -> tensor<1xi32> {
            """ + BODY + """
              return %o : tensor<1xi32>
            }
            """;

    private Path npy(String name, int... values) throws IOException {
        Path p = dir.resolve(name);
        Npy.write(p, HostArray.fromLongs(TensorType.of(IntegerType.I32, values.length), java.util.Arrays.stream(values).asLongStream().toArray()));
        return p;
    }

    private static Cli.Run runWithin20s(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Cli.run(args));
    }

    /** With the partitioner's test probe, scoped to the thread the run has (JUnit runs it on its own). */
    private static Cli.Run runWithin20s(java.util.function.Consumer<io.hlo4j.mlir.ir.Operation> probe, String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> io.hlo4j.compiler.spmd.partition.PartitionDeadline.probing(probe, () -> Cli.run(args)));
    }

    private static void noDeviceThreadLeft() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertThat(t.getName().startsWith("hlo4j-device-") && t.isAlive()).as(t.getName() + " still running").isFalse();
        }
    }

    @Test
    void spmdRunStopsAtTheTimeoutNamingEveryDevice() throws IOException {
        Path f = dir.resolve("spin.mlir");
        Files.writeString(f, SPMD);
        // Neither value is 7: the loops end at once and each device holds 5 + 6.
        Cli.Run ok = runWithin20s("run", f.toString(), "--spmd", "--input", npy("ok.npy", 5, 6).toString(), "--timeout", "60",
                "-o", dir.resolve("out").toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toLongArray()).containsExactly(11, 11);

        long t0 = System.nanoTime();
        Cli.Run r = runWithin20s("run", f.toString(), "--spmd", "--input", npy("spin.npy", 5, 7).toString(), "--timeout", "1");
        double s = (System.nanoTime() - t0) / 1e9;
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(s).as(r.toString()).isBetween(1.0, 20.0);
        assertThat(r.err()).as(r.toString()).hasLineCount(1)
                .startsWith("hlo4j: " + f + ":")
                .contains(": @main stopped by --timeout 1 s: evaluation ran past its deadline on 2 of 2 simulated devices: "
                        + "device 0 waiting in stablehlo.all_reduce (" + f + ":16:5) in @main; ")
                .containsPattern("; device 1 at stablehlo\\.[a-z]+ \\(" + java.util.regex.Pattern.quote(f.toString()) + ":(9|10|12|13|14):\\d+\\) in stablehlo\\.while \\("
                        + java.util.regex.Pattern.quote(f.toString()) + ":7:5\\) in @main$");
        noDeviceThreadLeft();

        // every device spins and none reaches the collective: the deadline stops each inside its loop
        Cli.Run all = runWithin20s("run", f.toString(), "--spmd", "--input", npy("all.npy", 7, 7).toString(), "--timeout", "1");
        assertThat(all.code()).as(all.toString()).isEqualTo(1);
        String loop = " at stablehlo\\.[a-z]+ \\(" + java.util.regex.Pattern.quote(f.toString()) + ":(9|10|12|13|14):\\d+\\) in stablehlo\\.while \\("
                + java.util.regex.Pattern.quote(f.toString()) + ":7:5\\) in @main";
        assertThat(all.err()).as(all.toString()).hasLineCount(1)
                .contains(": @main stopped by --timeout 1 s: evaluation ran past its deadline on 2 of 2 simulated devices: device 0")
                .containsPattern("devices: device 0" + loop + "; device 1" + loop + "$")
                .doesNotContain("waiting in").doesNotContain("Exception");
        assertThat(all.out()).isEmpty();
        noDeviceThreadLeft();
    }

    @Test
    void replicatedRunStopsAtTheTimeoutNamingEveryDevice() throws IOException {
        Path f = dir.resolve("spin.mlir");
        Files.writeString(f, REPLICATED);
        Path five = npy("five.npy", 5), six = npy("six.npy", 6), seven = npy("seven.npy", 7);
        Cli.Run ok = runWithin20s("run", f.toString(), "--devices", "2", "--input", five.toString(), "--input", six.toString(), "--timeout", "60",
                "-o", dir.resolve("out").toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/device1/result0.npy")).toLongArray()).containsExactly(11);

        long t0 = System.nanoTime();
        Cli.Run r = runWithin20s("run", f.toString(), "--devices", "2", "--input", five.toString(), "--input", seven.toString(), "--timeout", "1");
        double s = (System.nanoTime() - t0) / 1e9;
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(s).as(r.toString()).isBetween(1.0, 20.0);
        assertThat(r.err()).as(r.toString()).hasLineCount(1)
                .startsWith("hlo4j: " + f + ":")
                .contains(": @main stopped by --timeout 1 s: evaluation ran past its deadline on 2 of 2 simulated devices: "
                        + "device 0 waiting in stablehlo.all_reduce (" + f + ":13:5) in @main; device 1 at stablehlo.")
                .contains(" in stablehlo.while (" + f + ":4:5) in @main");
        noDeviceThreadLeft();
    }

    /**
     * --spmd: the deadline covers partitioning. The partitioner is slowed by its test probe (100 ms per op, thirty adds:
     * 3 s of partitioning) and stops at the op it had reached once the second of --timeout 1 has passed, named in one line.
     */
    @Test
    void partitioningIsBoundedByTheTimeoutToo() throws Exception {
        StringBuilder chain = new StringBuilder();
        for (int i = 1; i <= 30; i++) chain.append("    %a").append(i).append(" = stablehlo.add %a").append(i - 1).append(", %a").append(i - 1).append(" : tensor<4xf32>\n");
        Path f = dir.resolve("chain.mlir");
        Files.writeString(f, """
                module @m {
                  sdy.mesh @mesh = <["x"=2]>
                  func.func @main(%a0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) {
                """ + chain + """
                    return %a30 : tensor<4xf32>
                  }
                }
                """);
        Path x = dir.resolve("x.npy");
        Npy.write(x, HostArray.fromFloats(TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 4), 1f, 2f, 3f, 4f));
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Consumer<io.hlo4j.mlir.ir.Operation> slow = op -> {
            seen.incrementAndGet();
            try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        };
        {
            long t0 = System.nanoTime();
            Cli.Run r = runWithin20s(slow, "run", f.toString(), "--spmd", "--input", x.toString(), "--timeout", "1");
            double s = (System.nanoTime() - t0) / 1e9;
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            // at least the limit; the upper bound only catches a run that ignored it (the whole chain takes 3 s of sleeps
            // plus a loaded machine's JIT and GC): that it stopped is shown by `seen` below, not by how fast it was
            assertThat(s).as(r.toString()).isBetween(1.0, 15.0);
            assertThat(seen.get()).as(r.toString()).isBetween(1, 20);   // stopped part way: about 1 s of 100 ms steps
            assertThat(r.err()).as(r.toString()).hasLineCount(1)
                    .matches("hlo4j: " + java.util.regex.Pattern.quote(f.toString()) + ":(\\d+):5: @main stopped by --timeout 1 s: partitioning ran "
                            + "past its deadline at stablehlo\\.add in @main\n"); // the add's line once, first
            assertThat(r.out()).isEmpty();
            // without a limit the same slow partitioning finishes and the run gives 1..4 doubled thirty times
            seen.set(0);
            Cli.Run ok = runWithin20s(slow, "run", f.toString(), "--spmd", "--input", x.toString(), "-o", dir.resolve("out").toString());
            assertThat(ok.code()).as(ok.toString()).isZero();
            assertThat(seen.get()).isEqualTo(30);
            double d = 1L << 30;
            assertThat(Npy.read(dir.resolve("out/result0.npy")).toDoubleArray()).containsExactly(d, 2 * d, 3 * d, 4 * d);
        }
        noDeviceThreadLeft();
    }
}
