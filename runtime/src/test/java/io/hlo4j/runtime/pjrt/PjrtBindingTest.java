package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The FFM binding end to end against the C mock plugin: every call, each error path, no leaks. */
class PjrtBindingTest extends MockPluginTest {
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


    /**
     * Threads loading the plugin at once (a job's processes in one JVM) each see the whole table: the mock fills it once,
     * as a real plugin's GetPjrtApi returns a static table (it once refilled it per call, and a concurrent load could read
     * version 0.0 or empty slots).
     */
    @Test
    void threadsLoadingThePluginAtOnceEachSeeTheWholeTable() throws Exception {
        int threads = 8, rounds = 25;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            for (int r = 0; r < rounds; r++) {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                List<java.util.concurrent.Future<String>> fs = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++)
                    fs.add(pool.submit(() -> {
                        start.await();
                        PjrtPlugin p = PjrtPlugin.load(MockPjrt.path());
                        try (PjrtClient c = p.createClient()) {
                            return p.apiVersion() + " " + c.platformName();
                        }
                    }));
                for (java.util.concurrent.Future<String> f : fs) assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("0.95 mock");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void loadsThePluginAndReadsVersionAndAttributes() {
        PjrtPlugin p = plugin();
        assertThat(p.apiVersion()).isEqualTo("0.95");
        Map<String, Object> attrs = p.attributes();
        assertThat(attrs).containsEntry("xla_version", 2L);
        assertThat((long[]) attrs.get("stablehlo_current_version")).containsExactly(1, 13, 0);
        // One attribute of each remaining PJRT_NamedValue type: string, float, bool.
        assertThat(attrs).containsEntry("mock_build", "hlo4j-mock 0.95").containsEntry("mock_peak_tflops", 989.5f)
                .containsEntry("mock_async_events", true);
        assertThat(attrs).hasSize(5);
    }

    @Test
    void refusesATooOldOrNewMajorPlugin() {
        mock.version(0, 40);
        PjrtException e = catchThrowableOfType(PjrtException.class, PjrtEndToEnd::loadMock);
        assertThat(e.code()).isEqualTo(PjrtErrorCode.FAILED_PRECONDITION);
        assertThat(e.getMessage()).contains("implements PJRT C API 0.40").contains("needs 0.57 or newer");
        mock.version(1, 0);
        assertThatThrownBy(PjrtEndToEnd::loadMock).hasMessageContaining("PJRT C API 1.0");
    }

    @Test
    void refusesAMissingFileAndANonPlugin(@TempDir Path dir) throws Exception {
        PjrtException missing = catchThrowableOfType(PjrtException.class, () -> PjrtPlugin.load(dir.resolve("nope.so")));
        assertThat(missing.code()).isEqualTo(PjrtErrorCode.NOT_FOUND);
        assertThat(missing.getMessage()).contains("nope.so does not exist");
        // Refused by hlo4j before the JVM's loader sees it (which would warn about the stack guard, then refuse).
        Path text = Files.writeString(dir.resolve("notalib.so"), "hello");
        PjrtException notLib = catchThrowableOfType(PjrtException.class, () -> PjrtPlugin.load(text));
        assertThat(notLib.call()).isEqualTo("dlopen");
        assertThat(notLib.code()).isEqualTo(PjrtErrorCode.FAILED_PRECONDITION);
        assertThat(notLib.pluginMessage()).isEqualTo("PJRT plugin " + text.toAbsolutePath().normalize() + " is not a shared library "
                + "(no ELF or Mach-O header); a PJRT plugin is a shared library exporting GetPjrtApi, such as xla_cuda_plugin.so");
        // An ELF executable (type 2) is not a shared object either.
        byte[] exec = Files.readAllBytes(MockPjrt.path());
        exec[16] = 2;
        Path exe = Files.write(dir.resolve("exe.so"), exec);
        assertThatThrownBy(() -> PjrtPlugin.load(exe)).isInstanceOf(PjrtException.class)
                .hasMessageContaining("is not a shared library (ELF type 2, not a shared object)");
    }

    /**
     * A position-independent executable is ET_DYN like a library: told apart by DF_1_PIE in DT_FLAGS_1 (as glibc does),
     * and refused by name rather than by the JVM's "Cannot open library".
     */
    @Test
    void refusesAPositionIndependentExecutable(@TempDir Path dir) throws Exception {
        Path pie = Files.write(dir.resolve("pie.so"), dynamicElf(0x08000000L));
        assertThatThrownBy(() -> PjrtPlugin.load(pie)).isInstanceOf(PjrtException.class)
                .hasMessageContaining("PJRT plugin " + pie.toAbsolutePath().normalize() + " is not a shared library (a position-independent"
                        + " executable (DT_FLAGS_1 has DF_1_PIE), which the loader refuses to load)");
        // the same file with other DT_FLAGS_1 bits (DF_1_NOW) passes the check; a real library does too
        assertThat(SharedLibraryFile.problem(Files.write(dir.resolve("lib.so"), dynamicElf(0x1L)))).isNull();
        assertThat(SharedLibraryFile.problem(MockPjrt.path())).isNull();
        Path ls = Path.of("/bin/ls");   // a PIE on current distributions, an ET_EXEC on old ones: refused either way
        if (Files.isReadable(ls) && !System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("mac")) {
            assertThat(SharedLibraryFile.problem(ls)).isIn("a position-independent executable (DT_FLAGS_1 has DF_1_PIE), which the loader"
                    + " refuses to load", "ELF type 2, not a shared object");
        }
    }

    /** An ELF64 little-endian shared object: one PT_DYNAMIC header, its section DT_FLAGS_1 = {@code flags1}, DT_NULL. */
    static byte[] dynamicElf(long flags1) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 56 + 32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x7F).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F').put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 3).putShort(18, (short) 62).putLong(32, 64).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 1);
        b.putInt(64, 2).putLong(64 + 8, 120).putLong(64 + 32, 32).putLong(64 + 40, 32);   // PT_DYNAMIC at 120, 32 bytes
        b.putLong(120, 0x6ffffffbL).putLong(128, flags1);   // DT_FLAGS_1, then DT_NULL (zeros)
        return b.array();
    }

    /** Two files that passed the check and reached the JVM's loader (and its stack-guard warning): a review's repros. */
    @Test
    void refusesAMachOFileOffMacOsAndAProgramHeaderOffsetThatWouldOverflow(@TempDir Path dir) throws Exception {
        byte[] macho = new byte[4096];
        macho[0] = (byte) 0xCF; macho[1] = (byte) 0xFA; macho[2] = (byte) 0xED; macho[3] = (byte) 0xFE;
        Path m = Files.write(dir.resolve("mach.so"), macho);
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("mac")) {
            assertThatThrownBy(() -> PjrtPlugin.load(m)).isInstanceOf(PjrtException.class)
                    .hasMessageContaining("is not a shared library (a Mach-O (macOS) file, not loadable on ");
        }
        // A 64-byte ELF64 shared-object header whose phoff + phentsize * phnum wraps past Long.MAX_VALUE.
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.put(0, (byte) 0x7F).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F').put(4, (byte) 2).put(5, (byte) 1);
        h.putShort(16, (short) 3).putLong(32, Long.MAX_VALUE - 8).putShort(54, (short) 56).putShort(56, (short) 1);
        Path elf = Files.write(dir.resolve("wrap.so"), h.array());
        assertThatThrownBy(() -> PjrtPlugin.load(elf)).isInstanceOf(PjrtException.class)
                .hasMessageContaining("is not a shared library (truncated ELF file: its program headers lie past its end)");
    }

    @Test
    void createsAClientWithNamedValueOptionsAndListsDevices() {
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("num_devices", 4L);
        opts.put("preallocate", false);
        opts.put("memory_fraction", 0.5f);
        try (PjrtClient c = plugin().createClient(opts)) {
            assertThat(c.platformName()).isEqualTo("mock");
            assertThat(c.platformVersion()).isEqualTo("mock 0.95 (hlo4j)");
            assertThat(c.devices()).extracting(PjrtDevice::id).containsExactly(100, 101, 102, 103);
            assertThat(c.devices()).allSatisfy(d -> assertThat(d.addressable()).isTrue());
            assertThat(c.addressableDevices()).extracting(PjrtDevice::kind).containsOnly("mock-device");
        }
    }

    /** Another process's devices (here: the mock told only the first two are this process's) are listed, not addressable. */
    @Test
    void devicesOfOtherProcessesAreListedButNotAddressable() {
        try (PjrtClient c = plugin().createClient(Map.of("num_devices", 4L, "addressable_devices", 2L))) {
            assertThat(c.devices()).extracting(PjrtDevice::id).containsExactly(100, 101, 102, 103);
            assertThat(c.devices()).extracting(PjrtDevice::addressable).containsExactly(true, true, false, false);
            assertThat(c.addressableDevices()).extracting(PjrtDevice::id).containsExactly(100, 101);
        }
    }

    @Test
    void anInt64ListCreateOptionReachesThePluginWhole() {
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("num_devices", 3L);
        opts.put("device_ids", new long[] {7, 3, 5});
        try (PjrtClient c = plugin().createClient(opts)) {
            assertThat(c.devices()).extracting(PjrtDevice::id).containsExactly(7, 3, 5);
        }
        opts.put("device_ids", new long[] {7, 3});
        assertThatThrownBy(() -> plugin().createClient(opts)).isInstanceOf(PjrtException.class)
                .hasMessageContaining("option device_ids has 2 ids for 3 devices");
        opts.put("device_ids", new long[] {7, 3, 7});
        assertThatThrownBy(() -> plugin().createClient(opts)).hasMessageContaining("option device_ids: id 7 repeated at 0 and 2");
        opts.put("device_ids", "7,3,5");
        assertThatThrownBy(() -> plugin().createClient(opts)).hasMessageContaining("option device_ids must be an int64 list, got type 0");
    }

    @Test
    void clientCreateErrorsCarryCodeMessageAndCall() {
        PjrtException e = catchThrowableOfType(PjrtException.class, () -> plugin().createClient(Map.of("bogus", 1L)));
        assertThat(e.code()).isEqualTo(PjrtErrorCode.INVALID_ARGUMENT);
        assertThat(e.call()).isEqualTo("PJRT_Client_Create");
        assertThat(e.pluginMessage()).isEqualTo("Unknown create option 'bogus'");
        assertThatThrownBy(() -> plugin().createClient(Map.of("num_devices", "four")))
                .hasMessageContaining("option num_devices must be one int64, got type 0");
        assertThatThrownBy(() -> plugin().createClient(Map.of("x", new Object())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("create option 'x': unsupported value");
    }

    @Test
    void compilesAndRunsAnElementwiseAdd() {
        try (PjrtClient c = plugin().createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            try (PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
                 PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), d);
                 PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 0.5f, -2, 10, 0, 1e3f, -6), d)) {
                assertThat(exe.numOutputs()).isEqualTo(1);
                assertThat(exe.devices()).containsExactly(d);
                List<PjrtBuffer> out = exe.execute(x, y);
                try (PjrtBuffer r = out.getFirst()) {
                    r.awaitReady();
                    assertThat(r.elementType()).isEqualTo(ElementType.F32);
                    assertThat(r.dims()).containsExactly(2, 3);
                    assertThat(r.toHost().floats()).containsExactly(1.5f, 0f, 13f, 4f, 1005f, 0f);
                }
            }
        }
    }

    @Test
    void compilesAndRunsASmallDot() {
        try (PjrtClient c = plugin().createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            try (PjrtExecutable exe = c.compile(DOT, CompileOptions.singleDevice(d.id()));
                 PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), d);
                 PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12), d)) {
                try (PjrtBuffer r = exe.execute(x, y).getFirst()) {
                    // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
                    assertThat(r.dims()).containsExactly(2, 2);
                    assertThat(r.toHost().floats()).containsExactly(58f, 64f, 139f, 154f);
                }
            }
        }
    }

    @Test
    void reportsOptimizedProgramCostAnalysisAndCompiledMemoryStats() throws Exception {
        try (PjrtClient c = plugin().createClient();
             PjrtExecutable dot = c.compile(DOT, CompileOptions.singleDevice(100));
             PjrtExecutable add = c.compile(ADD, CompileOptions.singleDevice(100))) {
            // The mock's numbers: 2*m*n*k = 24 flops for the 2x3 . 3x2 dot, 6 for the 2x3 add.
            assertThat(dot.costAnalysis()).containsEntry("flops", 24.0f).containsEntry("bytes accessed", 72.0f);
            assertThat(add.costAnalysis()).containsEntry("flops", 6.0f);
            PjrtExecutable.Program optimized = dot.optimizedProgram();
            assertThat(optimized.format()).isEqualTo("hlo_with_config");
            // HloModuleProtoWithConfig{1: HloModuleProto{1: name, 2: entry computation name}}, decoded by field number.
            var module = com.google.protobuf.UnknownFieldSet.parseFrom(
                    com.google.protobuf.UnknownFieldSet.parseFrom(optimized.code()).getField(1).getLengthDelimitedList().getFirst());
            assertThat(module.getField(1).getLengthDelimitedList().getFirst().toStringUtf8()).isEqualTo("jit_dot");
            assertThat(module.getField(2).getLengthDelimitedList().getFirst().toStringUtf8()).isEqualTo("main.1");
            assertThat(io.hlo4j.runtime.hlo.HloProgram.decode(optimized.format(), optimized.code()).summary().fusionKinds())
                    .isEqualTo(Map.of("kLoop", 1));
            PjrtExecutable.CompiledMemoryStats m = dot.memoryStats();
            assertThat(new long[] {m.generatedCodeBytes(), m.argumentBytes(), m.outputBytes(), m.aliasBytes(), m.tempBytes(),
                    m.hostGeneratedCodeBytes(), m.hostArgumentBytes(), m.hostOutputBytes(), m.hostAliasBytes(), m.hostTempBytes(),
                    m.peakMemoryBytes(), m.totalBytes(), m.totalAllocationBytes(), m.indefiniteAllocations(), m.peakUnpaddedHeapBytes()})
                    .containsExactly(1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015);
        }
    }

    @Test
    void executesWithPerDeviceArgumentLists() {
        try (PjrtClient c = plugin().createClient(Map.of("num_devices", 2L))) {
            List<PjrtDevice> ds = c.addressableDevices();
            try (PjrtExecutable exe = c.compile(ADD, CompileOptions.spmd(ds.get(0).id(), ds.get(1).id()))) {
                assertThat(exe.devices()).containsExactlyElementsOf(ds);
                long[] dims = {3};
                List<List<PjrtBuffer>> args = List.of(
                        List.of(c.toDevice(HostData.ofFloats(dims, 1, 2, 3), ds.get(0)), c.toDevice(HostData.ofFloats(dims, 10, 20, 30), ds.get(0))),
                        List.of(c.toDevice(HostData.ofFloats(dims, -1, -2, -3), ds.get(1)), c.toDevice(HostData.ofFloats(dims, 5, 5, 5), ds.get(1))));
                List<List<PjrtBuffer>> out = exe.execute(args);
                assertThat(out.get(0).getFirst().device()).isEqualTo(ds.get(0));
                assertThat(out.get(0).getFirst().toHost().floats()).containsExactly(11f, 22f, 33f);
                assertThat(out.get(1).getFirst().toHost().floats()).containsExactly(4f, 3f, 2f);
                assertThat(c.openObjects()).isEqualTo(1 + 4 + 2);
                assertThatThrownBy(() -> exe.execute(List.of(args.get(0))))
                        .hasMessageContaining("1 argument lists for an executable on 2 devices");
            }   // the buffers are closed by the client below
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PRED", "S8", "S16", "S32", "S64", "U8", "U16", "U32", "U64", "F16", "F32", "F64", "BF16",
            "C64", "C128", "F8E5M2", "F8E4M3FN", "F8E4M3B11FNUZ", "F8E5M2FNUZ", "F8E4M3FNUZ", "F8E4M3", "F8E3M4", "F8E8M0FNU"})
    void everyByteAddressableElementTypeRoundTrips(String name) {
        ElementType t = ElementType.valueOf(name);
        Random rnd = new Random(name.hashCode());
        try (PjrtClient c = plugin().createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            for (long[] dims : new long[][] {{}, {0, 4}, {2, 3, 4}, {5}}) {
                long n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
                byte[] bytes = new byte[(int) n * t.byteSize()];
                rnd.nextBytes(bytes);
                if (t == ElementType.PRED) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
                HostData h = new HostData(t, dims, bytes);
                try (PjrtBuffer b = c.toDevice(h, d)) {
                    assertThat(b.elementType()).isEqualTo(t);
                    assertThat(b.dims()).containsExactly(dims);
                    assertThat(b.toHost()).isEqualTo(h);
                }
            }
        }
    }

    @Test
    void subByteTypesAreRefusedBeforeTheCall() {
        assertThatThrownBy(() -> new HostData(ElementType.S4, new long[] {2}, new byte[1]))
                .hasMessageContaining("S4 has no byte-addressable host form");
        assertThatThrownBy(() -> HostData.ofFloats(new long[] {2, 2}, 1, 2, 3))
                .hasMessageContaining("F32[2, 2] needs 16 bytes, got 12");
    }

    @Test
    void pluginSideValidationErrorsAreThrownByName() {
        try (PjrtClient c = plugin().createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            PjrtException unknown = catchThrowableOfType(PjrtException.class,
                    () -> c.compile("func.func @main() { return }", CompileOptions.singleDevice(d.id())));
            assertThat(unknown.code()).isEqualTo(PjrtErrorCode.UNIMPLEMENTED);
            assertThat(unknown.call()).isEqualTo("PJRT_Client_Compile");
            PjrtException tooMany = catchThrowableOfType(PjrtException.class, () -> c.compile(ADD, CompileOptions.spmd(100, 101)));
            assertThat(tooMany.pluginMessage()).contains("1 replicas x 2 partitions do not fit 1 devices");
            try (PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
                 PjrtBuffer f64 = c.toDevice(new HostData(ElementType.F64, new long[] {1}, new byte[8]), d);
                 PjrtBuffer f32 = c.toDevice(HostData.ofFloats(new long[] {1}, 1), d)) {
                PjrtException wrongType = catchThrowableOfType(PjrtException.class, () -> exe.execute(f64, f32));
                assertThat(wrongType.call()).isEqualTo("PJRT_LoadedExecutable_Execute");
                assertThat(wrongType.pluginMessage()).contains("argument 0 has element type 12, expected F32 (11)");
            }
        }
    }

    /** Every call of the flow fails on demand; the failure names it and nothing leaks. */
    @ParameterizedTest
    @ValueSource(strings = {"PJRT_Plugin_Attributes", "PJRT_Client_Create", "PJRT_Client_PlatformName",
            "PJRT_Client_PlatformVersion", "PJRT_Client_Devices", "PJRT_Client_AddressableDevices",
            "PJRT_Device_GetDescription", "PJRT_DeviceDescription_Id", "PJRT_DeviceDescription_Kind",
            "PJRT_Client_Compile", "PJRT_LoadedExecutable_GetExecutable", "PJRT_Executable_NumOutputs",
            "PJRT_LoadedExecutable_AddressableDevices", "PJRT_Client_BufferFromHostBuffer",
            "PJRT_LoadedExecutable_Execute", "PJRT_Buffer_ElementType", "PJRT_Buffer_Dimensions",
            "PJRT_Buffer_ToHostBuffer", "PJRT_Buffer_ReadyEvent", "PJRT_Event_Await"})
    void injectedFailureOfEachCallIsReportedByName(String call) {
        mock.fail(call);
        PjrtException e = catchThrowableOfType(PjrtException.class, PjrtEndToEnd::runAddFlow);
        assertThat(e).as("flow with " + call + " failing").isNotNull();
        assertThat(e.call()).startsWith(call);
        assertThat(e.code()).isEqualTo(PjrtErrorCode.INTERNAL);
        assertThat(e.pluginMessage()).isEqualTo("mock: injected failure in " + call);
        mock.fail(null);
    }

    @Test
    void destroyFailuresAreReportedToo() {
        for (String call : List.of("PJRT_Buffer_Destroy", "PJRT_LoadedExecutable_Destroy", "PJRT_Executable_Destroy")) {
            mock.fail(call);
            assertThatThrownBy(PjrtEndToEnd::runAddFlow).as(call).isInstanceOf(PjrtException.class).hasMessageContaining(call);
            mock.fail(null);
        }
        // The objects whose destroy failed are still alive in the mock (the Java side counts them closed:
        // the plugin's state after a failed destroy is unknown); account for them explicitly.
        long[] now = mock.live();
        assertThat(now[5] - before[5]).as("buffers r, y, x kept by the failed PJRT_Buffer_Destroy").isEqualTo(3);
        assertThat(now[3] - before[3]).as("loaded executable kept by the failed destroy").isEqualTo(1);
        assertThat(now[4] - before[4]).as("executable kept by the failed destroy").isEqualTo(1);
        assertThat(now[2]).as("clients").isEqualTo(before[2]);
        before = now;
    }

    @Test
    void createOptionNamesTheCallToFail() {
        try (PjrtClient c = plugin().createClient(Map.of("mock_fail", "PJRT_Client_Compile"))) {
            PjrtException e = catchThrowableOfType(PjrtException.class,
                    () -> c.compile(ADD, CompileOptions.singleDevice(c.addressableDevices().getFirst().id())));
            assertThat(e.call()).isEqualTo("PJRT_Client_Compile");
            assertThat(e.pluginMessage()).contains("injected failure");
        }
    }

    @Test
    void pluginInitializeFailureIsReportedForAFreshPlugin(@TempDir Path dir) throws Exception {
        Path copy = Files.copy(MockPjrt.path(), dir.resolve("libpjrt_mock_copy.so"));
        MockPjrt.Hooks copyHooks = MockPjrt.Hooks.of(copy);   // a second, independent instance of the mock
        copyHooks.fail("PJRT_Plugin_Initialize");
        PjrtException e = catchThrowableOfType(PjrtException.class, () -> PjrtPlugin.load(copy));
        assertThat(e.call()).isEqualTo("PJRT_Plugin_Initialize");
        copyHooks.fail(null);
        assertThat(PjrtPlugin.load(copy).apiVersion()).isEqualTo("0.95");
        assertThat(copyHooks.live()).containsOnly(0L);
    }

    @Test
    void readyAsyncCompletesThroughTheOnReadyUpcall() throws Exception {
        try (PjrtClient c = plugin().createClient()) {
            PjrtDevice d = c.addressableDevices().getFirst();
            List<PjrtBuffer> bs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) bs.add(c.toDevice(HostData.ofFloats(new long[] {1}, i), d));
            List<java.util.concurrent.CompletableFuture<Void>> fs = bs.stream().map(PjrtBuffer::readyAsync).toList();
            java.util.concurrent.CompletableFuture.allOf(fs.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(fs).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
        }
    }

    @Test
    void aFailedEventReachesAwaitAndTheCallbackWithItsError() {
        try (PjrtClient c = plugin().createClient()) {
            PjrtBuffer b = c.toDevice(HostData.ofFloats(new long[] {1}, 1), c.addressableDevices().getFirst());
            mock.fail("ready_event_status");
            PjrtException awaited = catchThrowableOfType(PjrtException.class, b::awaitReady);
            assertThat(awaited.call()).isEqualTo("PJRT_Event_Await (buffer ready)");
            assertThat(awaited.code()).isEqualTo(PjrtErrorCode.INTERNAL);
            assertThat(awaited.pluginMessage()).isEqualTo("mock: buffer computation failed");
            java.util.concurrent.ExecutionException async = catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                    () -> b.readyAsync().get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(async.getCause()).isInstanceOf(PjrtException.class)
                    .hasMessageContaining("PJRT_Event_OnReady (buffer ready) failed with INTERNAL: mock: buffer computation failed");
            mock.fail("PJRT_Event_OnReady");
            PjrtException sync = catchThrowableOfType(PjrtException.class, b::readyAsync);
            assertThat(sync.call()).isEqualTo("PJRT_Event_OnReady");
            mock.fail(null);
        }
    }

    @Test
    void useAfterCloseAndDoubleCloseAreErrors() {
        PjrtClient c = plugin().createClient();
        PjrtDevice d = c.addressableDevices().getFirst();
        PjrtBuffer b = c.toDevice(HostData.ofFloats(new long[] {1}, 1), d);
        b.close();
        assertThatThrownBy(b::toHost).isInstanceOf(IllegalStateException.class).hasMessageContaining("PJRT buffer on device 100 is closed");
        assertThatThrownBy(b::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("already closed");
        PjrtBuffer kept = c.toDevice(HostData.ofFloats(new long[] {1}, 2), d);
        PjrtExecutable exe = c.compile(ADD, CompileOptions.singleDevice(d.id()));
        c.close();   // closes what is still open
        assertThat(kept.isClosed()).isTrue();
        assertThat(exe.isClosed()).isTrue();
        assertThatThrownBy(kept::close).hasMessageContaining("already closed (by its client's close)");
        assertThatThrownBy(exe::numOutputs).hasMessageContaining("PJRT executable is closed");
        assertThatThrownBy(c::platformName).hasMessageMatching("PJRT client #\\d+ \\(" + MockPjrt.path().getFileName() + "\\) is closed.*");
        assertThatThrownBy(c::close).hasMessageContaining("already closed");
    }
}
