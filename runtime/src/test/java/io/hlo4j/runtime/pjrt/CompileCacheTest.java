package io.hlo4j.runtime.pjrt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Serialize / deserialize through the mock, and the persistent cache built on them. */
class CompileCacheTest {
    private final MockPjrt.Hooks mock = MockPjrt.hooks();
    private long[] before;

    @BeforeEach
    void count() { mock.fail(null); before = mock.live(); }

    @AfterEach
    void nothingLeaked() {
        mock.fail(null);
        long[] after = mock.live();
        for (int k = 0; k < after.length; k++) assertThat(after[k]).as("live " + MockPjrt.KINDS[k]).isEqualTo(before[k]);
    }

    private static float[] runDot(PjrtClient c, PjrtExecutable exe) {
        PjrtDevice d = c.addressableDevices().getFirst();
        try (PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), d);
             PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12), d);
             PjrtBuffer r = exe.execute(x, y).getFirst()) {
            return r.toHost().floats();
        }
    }

    @Test
    void serializedExecutableLoadsAndRunsAgain() {
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            byte[] bytes;
            try (PjrtExecutable exe = c.compile(PjrtBindingTest.DOT, CompileOptions.singleDevice(100))) {
                bytes = exe.serialize();
            }
            assertThat(new String(bytes, StandardCharsets.US_ASCII)).isEqualTo("hlo4j-mock-exe/2 program=2 devices=1 ids=100");
            try (PjrtExecutable again = c.deserialize(bytes)) {
                assertThat(again.numOutputs()).isEqualTo(1);
                assertThat(runDot(c, again)).containsExactly(58f, 64f, 139f, 154f);
            }
            PjrtException bad = catchThrowableOfType(PjrtException.class, () -> c.deserialize("garbage".getBytes(StandardCharsets.US_ASCII)));
            assertThat(bad.call()).isEqualTo("PJRT_Executable_DeserializeAndLoad");
            assertThat(bad.code()).isEqualTo(PjrtErrorCode.INVALID_ARGUMENT);
        }
    }

    @Test
    void cacheMissesOnceThenHitsAndKeysOnProgramAndOptions(@TempDir Path dir) throws Exception {
        CompileCache cache = new CompileCache(dir);
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            try (PjrtExecutable first = cache.compile(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100))) {
                assertThat(runDot(c, first)).containsExactly(58f, 64f, 139f, 154f);
            }
            try (PjrtExecutable second = cache.compile(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100))) {
                assertThat(runDot(c, second)).containsExactly(58f, 64f, 139f, 154f);
            }
            assertThat(cache.misses()).isEqualTo(1);
            assertThat(cache.hits()).isEqualTo(1);
            // Other options (here a DebugOptions override) are another key, so another entry.
            try (PjrtExecutable third = cache.compile(c, PjrtBindingTest.DOT,
                    CompileOptions.builder().devices(100).option("xla_gpu_autotune_level", 0L).build())) {
                assertThat(third.numOutputs()).isEqualTo(1);
            }
            assertThat(cache.misses()).isEqualTo(2);
            try (var files = Files.list(dir)) {
                List<Path> entries = files.toList();
                assertThat(entries).hasSize(2).allSatisfy(p -> assertThat(p.getFileName().toString()).matches("[0-9a-f]{64}\\.pjrt"));
            }
        }
    }

    @Test
    void aSerializeFailureFailsTheCompileAndLeavesNoEntry(@TempDir Path dir) throws Exception {
        CompileCache cache = new CompileCache(dir);
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            mock.fail("PJRT_Executable_Serialize");
            PjrtException e = catchThrowableOfType(PjrtException.class,
                    () -> cache.compile(c, PjrtBindingTest.ADD, CompileOptions.singleDevice(100)));
            assertThat(e.call()).isEqualTo("PJRT_Executable_Serialize");
            mock.fail(null);
            try (var files = Files.list(dir)) {
                assertThat(files.toList()).isEmpty();
            }
        }
    }

    @Test
    void anEntryThePluginRefusesIsRefusedNamingItsFile(@TempDir Path dir) throws Exception {
        CompileCache cache = new CompileCache(dir);
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            cache.compile(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100)).close();
            Path entry;
            try (var files = Files.list(dir)) {
                entry = files.toList().getFirst();
            }
            Files.writeString(entry, "not an executable");
            PjrtException e = catchThrowableOfType(PjrtException.class,
                    () -> cache.compile(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100)));
            assertThat(e.call()).isEqualTo("PJRT_Executable_DeserializeAndLoad");
            assertThat(e.getMessage()).contains("compile cache entry " + entry, "(17 bytes)", "libpjrt_mock.so", "delete the entry");
            assertThat(cache.hits()).isZero();
        }
    }

    /**
     * An upgraded plugin (same C API version, another file) must not reuse entries: the key covers the file as it
     * was loaded, so replacing it under a running process does not relabel that process's entries either.
     */
    @Test
    void theKeyCoversThePluginFileAsLoadedAndItsAttributes(@TempDir Path dir) throws Exception {
        Path copy = Files.copy(MockPjrt.path(), dir.resolve("libpjrt_mock_copy.so"));
        PjrtPlugin plugin = PjrtPlugin.load(copy);
        String identity = CompileCache.pluginIdentity(plugin);
        assertThat(identity).startsWith("plugin " + copy.toRealPath() + " " + Files.size(copy) + " " + Files.getLastModifiedTime(copy).toMillis() + "\n")
                .contains("xla_version=2", "stablehlo_current_version=[1, 13, 0]");
        String before;
        try (PjrtClient c = plugin.createClient()) {
            before = CompileCache.key(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100));
            Files.setLastModifiedTime(copy, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(copy).toMillis() - 60_000));
            assertThat(CompileCache.key(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100))).as("the loaded plugin's key").isEqualTo(before);
        }
        try (PjrtClient c = PjrtPlugin.load(copy).createClient()) {
            assertThat(CompileCache.key(c, PjrtBindingTest.DOT, CompileOptions.singleDevice(100))).as("the file loaded again").isNotEqualTo(before);
        }
    }

    /** The key of a client of one process is the one the cache used before jobs had entries: an existing cache stays valid. */
    @Test
    void aOneProcessKeyIsTheFormerKey() throws Exception {
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            CompileOptions options = CompileOptions.singleDevice(100);
            // the former key, written out: plugin identity and attributes, API version, platform, addressable devices, text, options
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            StringBuilder env = new StringBuilder("plugin ").append(c.plugin().fileIdentity()).append('\n');
            new java.util.TreeMap<>(c.plugin().attributes()).forEach((k, v) ->
                    env.append(k).append('=').append(v instanceof long[] l ? java.util.Arrays.toString(l) : String.valueOf(v)).append('\n'));
            env.append("pjrt ").append(c.plugin().apiVersion()).append('\n').append(c.platformName()).append('\n').append(c.platformVersion()).append('\n');
            for (PjrtDevice d : c.addressableDevices()) env.append(d.id()).append(' ').append(d.kind()).append('\n');
            sha.update(env.toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(PjrtBindingTest.DOT.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(options.toBytes());
            String former = java.util.HexFormat.of().formatHex(sha.digest());
            assertThat(CompileCache.key(c, PjrtBindingTest.DOT, options, java.util.Map.of())).isEqualTo(former);
            assertThat(CompileCache.key(c, PjrtBindingTest.DOT, options, java.util.Map.of("XLA_FLAGS", " ", "LIBTPU_INIT_ARGS", "")))
                    .as("blank flags are no flags").isEqualTo(former);
        }
    }

    /** XLA_FLAGS and LIBTPU_INIT_ARGS change what XLA compiles: each is in the key when set (JAX's cache key hashes them too). */
    @Test
    void theKeyCoversXlaFlagsAndLibtpuInitArgs() throws Exception {
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient()) {
            CompileOptions options = CompileOptions.singleDevice(100);
            java.util.function.Function<java.util.Map<String, String>, String> key = env -> CompileCache.key(c, PjrtBindingTest.DOT, options, env);
            String none = key.apply(java.util.Map.of());
            String gpu = key.apply(java.util.Map.of("XLA_FLAGS", "--xla_gpu_enable_latency_hiding_scheduler=true"));
            String gpuOff = key.apply(java.util.Map.of("XLA_FLAGS", "--xla_gpu_enable_latency_hiding_scheduler=false"));
            String tpu = key.apply(java.util.Map.of("LIBTPU_INIT_ARGS", "--xla_gpu_enable_latency_hiding_scheduler=true"));
            assertThat(java.util.Set.of(none, gpu, gpuOff, tpu)).as("four different keys").hasSize(4);
            assertThat(key.apply(java.util.Map.of("XLA_FLAGS", "  --xla_gpu_enable_latency_hiding_scheduler=true\n")))
                    .as("the same flags spaced otherwise").isEqualTo(gpu);
            assertThat(key.apply(java.util.Map.of("XLA_FLAGS", "--a=1 --a=2"))).as("order kept: the last value wins in XLA")
                    .isNotEqualTo(key.apply(java.util.Map.of("XLA_FLAGS", "--a=2 --a=1")));
            assertThat(key.apply(java.util.Map.of("PATH", "/elsewhere"))).as("other variables are not in the key").isEqualTo(none);
        }
    }

    /** An entry that loads onto other devices than the compile's assignment (a plugin that ignores it) is refused by name. */
    @Test
    void anEntryLoadedOntoOtherDevicesIsRefusedByName(@TempDir Path dir) throws Exception {
        CompileCache cache = new CompileCache(dir);
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient(java.util.Map.of("num_devices", 2L))) {
            CompileOptions onSecond = CompileOptions.singleDevice(101);
            try (PjrtExecutable first = cache.compile(c, PjrtBindingTest.DOT, onSecond)) {
                assertThat(first.devices()).extracting(PjrtDevice::id).containsExactly(101);
            }
            Path entry = dir.resolve(CompileCache.key(c, PjrtBindingTest.DOT, onSecond) + ".pjrt");
            assertThat(Files.readString(entry)).isEqualTo("hlo4j-mock-exe/2 program=2 devices=1 ids=101");
            try (PjrtExecutable again = cache.compile(c, PjrtBindingTest.DOT, onSecond)) {
                assertThat(again.devices()).extracting(PjrtDevice::id).containsExactly(101);
            }
            Files.writeString(entry, "hlo4j-mock-exe/1 program=2 devices=1");   // no assignment: the mock loads it onto device 100
            PjrtException e = catchThrowableOfType(PjrtException.class, () -> cache.compile(c, PjrtBindingTest.DOT, onSecond));
            assertThat(e.getMessage()).isEqualTo("PJRT_Executable_DeserializeAndLoad failed with FAILED_PRECONDITION: compile cache entry " + entry
                    + " loads onto devices [100], but the compile's device assignment [101] gives process 0 devices [101]:"
                    + " not an entry for this process's place in the job; delete the entry to compile again");
            assertThat(List.of(cache.hits(), cache.misses())).containsExactly(1, 1);
        }
    }

    /**
     * The mock checks a serialized executable's devices as Compile checks a device assignment (so the cache's tests meet
     * the errors a real plugin gives, not a silently accepted entry): unknown ids, an id twice, ids that are not plain
     * digits, bytes after a version-1 text.
     */
    @Test
    void theMockRefusesMalformedSerializedExecutablesByName() {
        try (PjrtClient c = PjrtPlugin.load(MockPjrt.path()).createClient(java.util.Map.of("num_devices", 2L))) {
            java.util.function.Function<String, String> load = text -> {
                PjrtException e = catchThrowableOfType(PjrtException.class, () -> c.deserialize(text.getBytes(StandardCharsets.UTF_8)).close());
                return e == null ? "loaded" : e.getMessage();
            };
            String pre = "PJRT_Executable_DeserializeAndLoad failed with INVALID_ARGUMENT: PJRT_Executable_DeserializeAndLoad: ";
            assertThat(load.apply("hlo4j-mock-exe/2 program=2 devices=2 ids=100,101")).isEqualTo("loaded");
            assertThat(load.apply("hlo4j-mock-exe/2 program=2 devices=2 ids=100,107"))
                    .isEqualTo(pre + "the executable names device 107, not a device of this client");
            assertThat(load.apply("hlo4j-mock-exe/2 program=2 devices=2 ids=101,101")).isEqualTo(pre + "the executable names device 101 twice");
            assertThat(load.apply("hlo4j-mock-exe/2 program=2 devices=1 ids= +100")).isEqualTo(pre + "malformed ids in a mock executable");
            assertThat(load.apply("hlo4j-mock-exe/2 program=2 devices=1 ids=-100")).isEqualTo(pre + "malformed ids in a mock executable");
            assertThat(load.apply("hlo4j-mock-exe/1 program=2 devices=1")).isEqualTo("loaded");
            assertThat(load.apply("hlo4j-mock-exe/1 program=2 devices=1 ids=100"))
                    .isEqualTo(pre + "trailing bytes after a version 1 mock executable: ' ids=100'");
        }
    }
}
