package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.PjrtExecutable.Program;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A smoke run against a real plugin: {@code PjrtSmoke PLUGIN.so [key=value create options...]}.
 * Prints the plugin's version and attributes, the client's platform and devices, compiles and runs
 * an f32 add and a dot on the first device, checks them by value, and round-trips buffers of several
 * element types (bf16 included). Exit code 0 only if every check holds.
 */
public final class PjrtSmoke {
    private PjrtSmoke() {}

    static final String ADD = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<2x3xf32> {
              %0 = stablehlo.add %arg0, %arg1 : tensor<2x3xf32>
              return %0 : tensor<2x3xf32>
            }
            """;
    static final String DOT = """
            func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<2x2xf32> {
              %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
              return %0 : tensor<2x2xf32>
            }
            """;

    /** One device, SPMD on, Shardy shardings on the arguments: the path a sharded jit takes, at N = 1. */
    static final String SHARDED_ADD = """
            module @sharded attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=1]>
              func.func public @main(%arg0: tensor<2x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>},
                                     %arg1: tensor<2x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>})
                  -> (tensor<2x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                %0 = stablehlo.add %arg0, %arg1 : tensor<2x3xf32>
                return %0 : tensor<2x3xf32>
              }
            }
            """;

    /** The PJRT C API version whose struct layouts hlo4j is written against, as {@code --layouts} prints it ({@code 0.114}). */
    static String layouts() { return Abi.MAJOR + "." + Abi.MINOR; }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: PjrtSmoke PLUGIN.so [name=value ...]  (value: true/false, an integer, or a string)\n"
                    + "       PjrtSmoke --layouts  (prints the PJRT C API version of hlo4j's struct layouts)");
            System.exit(2);
        }
        if (args[0].equals("--layouts")) {   // scripts/gpu-check.sh reports this rather than a copy of it
            System.out.println(layouts());
            return;
        }
        Map<String, Object> options = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            String v = kv[1];
            options.put(kv[0], v.equals("true") || v.equals("false") ? (Object) Boolean.parseBoolean(v)
                    : v.matches("-?\\d+") ? (Object) Long.parseLong(v) : v);
        }
        int failures = 0;
        long t0 = System.nanoTime();
        PjrtPlugin plugin = PjrtPlugin.load(Path.of(args[0]));
        System.out.printf("plugin %s: PJRT C API %s, load+init %.1f ms%n", plugin.path(), plugin.apiVersion(), (System.nanoTime() - t0) / 1e6);
        int minor = Integer.parseInt(plugin.apiVersion().substring(plugin.apiVersion().indexOf('.') + 1));
        if (minor > Abi.MINOR)
            System.out.println("note: the plugin's PJRT C API 0." + minor + " is newer than hlo4j's layouts (0." + Abi.MINOR
                    + "): a call whose struct grew since is refused by the plugin with 'Unexpected ... size'");
        plugin.attributes().forEach((k, v) -> System.out.println("  attribute " + k + " = " + (v instanceof long[] l ? Arrays.toString(l) : v)));
        failures += expectError("unknown create option", "PJRT_Client_Create", () -> plugin.createClient(Map.of("hlo4j_no_such_option", 1L)).close());
        t0 = System.nanoTime();
        try (PjrtClient c = plugin.createClient(options)) {
            System.out.printf("client: %s / %s, create %.1f ms%n", c.platformName(), c.platformVersion(), (System.nanoTime() - t0) / 1e6);
            List<PjrtDevice> all = c.devices();
            System.out.println("devices: " + all + "; addressable: " + c.addressableDevices().size());
            PjrtDevice d = c.addressableDevices().getFirst();
            failures += run(c, d, "add", ADD, HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
                    HostData.ofFloats(new long[] {2, 3}, 0.5f, -2, 10, 0, 1e3f, -6), new float[] {1.5f, 0, 13, 4, 1005, 0});
            failures += run(c, d, "dot", DOT, HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
                    HostData.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12), new float[] {58, 64, 139, 154});
            failures += run(c, d, "sharded add (SPMD, Shardy, 1 partition)", SHARDED_ADD,
                    CompileOptions.builder().devices(d.id()).spmdPartitioning(true).build(),
                    HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), HostData.ofFloats(new long[] {2, 3}, 6, 5, 4, 3, 2, 1),
                    new float[] {7, 7, 7, 7, 7, 7});
            failures += serializeRoundTrip(c, d);
            failures += expectError("malformed program", "PJRT_Client_Compile",
                    () -> c.compile("func.func @main( this is not MLIR", CompileOptions.singleDevice(d.id())).close());
            for (ElementType t : List.of(ElementType.PRED, ElementType.S8, ElementType.S32, ElementType.S64, ElementType.U8,
                    ElementType.F16, ElementType.BF16, ElementType.F32, ElementType.F64, ElementType.C64)) {
                byte[] bytes = new byte[6 * t.byteSize()];
                ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < bytes.length; i++) bb.put(i, (byte) (t == ElementType.PRED ? i & 1 : (i * 37 + 11) & 0x3f));
                HostData h = new HostData(t, new long[] {2, 3}, bytes);
                try (PjrtBuffer b = c.toDevice(h, d)) {
                    HostData back = b.toHost();
                    boolean ok = back.equals(h) && b.elementType() == t;
                    System.out.println("round trip " + t + ": " + (ok ? "ok" : "MISMATCH " + back));
                    if (!ok) failures++;
                } catch (RuntimeException e) {
                    System.out.println("round trip " + t + ": FAILED " + e.getMessage());
                    failures++;
                }
            }
        }
        System.out.println(failures == 0 ? "SMOKE OK" : "SMOKE FAILED: " + failures + " check(s)");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Compile, serialize, deserialize, run the loaded copy: the compile cache's path. */
    private static int serializeRoundTrip(PjrtClient c, PjrtDevice d) {
        try {
            byte[] bytes;
            long t0 = System.nanoTime();
            try (PjrtExecutable exe = c.compile(DOT, CompileOptions.singleDevice(d.id()))) {
                bytes = exe.serialize();
                try {
                    System.out.println("dot cost analysis: " + exe.costAnalysis());
                } catch (PjrtException e) {
                    System.out.println("dot cost analysis: not offered (" + e.getMessage() + ")");
                }
                try {
                    Program p = exe.optimizedProgram();
                    System.out.println("dot optimized program: format " + p.format() + ", " + p.code().length + " bytes, " + describeHlo(p));
                } catch (PjrtException e) {
                    System.out.println("dot optimized program: not offered (" + e.getMessage() + ")");
                }
                try {
                    System.out.println("dot memory stats: " + exe.memoryStats());
                } catch (PjrtException e) {
                    System.out.println("dot memory stats: not offered (" + e.getMessage() + ")");
                }
            }
            long t1 = System.nanoTime();
            try (PjrtExecutable again = c.deserialize(bytes);
                 PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), d);
                 PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12), d);
                 PjrtBuffer r = again.execute(x, y).getFirst()) {
                float[] got = r.toHost().floats();
                boolean ok = Arrays.equals(got, new float[] {58, 64, 139, 154});
                System.out.printf("serialize: %d bytes (compile+serialize %.1f ms), deserialize+run %.1f ms, result %s %s%n",
                        bytes.length, (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6, Arrays.toString(got), ok ? "ok" : "WRONG");
                return ok ? 0 : 1;
            }
        } catch (RuntimeException e) {
            System.out.println("serialize: FAILED " + e);
            return 1;
        }
    }

    /** The optimized program's summary line and its HLO text (decoded with hlo4j's hlo.proto). */
    private static String describeHlo(Program p) {
        try {
            io.hlo4j.runtime.hlo.HloProgram h = io.hlo4j.runtime.hlo.HloProgram.decode(p.format(), p.code());
            return h.summary().text().strip() + "\n" + h.text().strip();
        } catch (RuntimeException e) {
            return "not printable as HLO: " + e.getMessage();
        }
    }

    /** 0 if {@code action} throws a PjrtException from {@code call}; prints what the plugin said. */
    private static int expectError(String what, String call, Runnable action) {
        try {
            action.run();
            System.out.println(what + ": NO ERROR, expected one from " + call);
            return 1;
        } catch (PjrtException e) {
            System.out.println(what + ": " + e.call() + " -> " + e.code() + " \"" + firstLine(e.pluginMessage()) + "\" " + (e.call().equals(call) ? "ok" : "WRONG CALL"));
            return e.call().equals(call) ? 0 : 1;
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    private static int run(PjrtClient c, PjrtDevice d, String name, String program, HostData x, HostData y, float[] expected) {
        return run(c, d, name, program, CompileOptions.singleDevice(d.id()), x, y, expected);
    }

    private static int run(PjrtClient c, PjrtDevice d, String name, String program, CompileOptions options, HostData x, HostData y, float[] expected) {
        try {
            long t0 = System.nanoTime();
            try (PjrtExecutable exe = c.compile(program, options);
                 PjrtBuffer bx = c.toDevice(x, d); PjrtBuffer by = c.toDevice(y, d)) {
                long t1 = System.nanoTime();
                try (PjrtBuffer r = exe.execute(bx, by).getFirst()) {
                    r.awaitReady();
                    r.readyAsync().get(60, java.util.concurrent.TimeUnit.SECONDS);   // the OnReady upcall path
                    float[] got = r.toHost().floats();
                    boolean ok = Arrays.equals(got, expected);
                    System.out.printf("%s: compile %.1f ms, run+copy %.2f ms, outputs %d, dims %s, result %s %s%n", name,
                            (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6, exe.numOutputs(), Arrays.toString(r.dims()),
                            Arrays.toString(got), ok ? "ok" : "expected " + Arrays.toString(expected));
                    return ok ? 0 : 1;
                }
            }
        } catch (RuntimeException | InterruptedException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            System.out.println(name + ": FAILED " + e);
            return 1;
        }
    }
}
