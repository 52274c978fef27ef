package io.hlo4j.runtime.pjrt;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The cost of the close guard ({@link NativeHandle#enter}/{@link NativeHandle#exit}: a read lock of the buffer and of
 * its client) on the cheapest call there is, {@code PJRT_Buffer_ElementType} on the mock plugin, in ns per call:
 * {@code guarded} is {@link PjrtBuffer#elementType()}; {@code unguarded} makes the same call with the same arena and
 * struct on the buffer's pointer, without the guard; {@code guardOnly} is the guard alone. One thread (uncontended).
 * Run with {@code bench/jmh.sh GuardBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class GuardBench {
    PjrtClient client;
    PjrtBuffer buffer;
    MemorySegment pointer;

    @Setup(Level.Trial)
    public void setup() {
        String mock = System.getProperty("hlo4j.pjrt.mock", "runtime/target/mock-pjrt/libpjrt_mock.so");
        client = PjrtPlugin.load(Path.of(mock).toAbsolutePath()).createClient();
        buffer = client.toDevice(HostData.ofFloats(new long[] {4}, 1, 2, 3, 4), client.addressableDevices().getFirst());
        pointer = buffer.enter("GuardBench");
        buffer.exit();
    }

    @TearDown(Level.Trial)
    public void close() { client.close(); }

    @Benchmark
    public ElementType guarded() { return buffer.elementType(); }

    @Benchmark
    public ElementType unguarded() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.BUFFER_ELEMENT_TYPE.allocate(a);
            args.set(ADDRESS, Abi.BUFFER_ELEMENT_TYPE.off("buffer"), pointer);
            client.api().call(Abi.Fn.PJRT_Buffer_ElementType, args);
            return ElementType.of(args.get(JAVA_INT, Abi.BUFFER_ELEMENT_TYPE.off("type")));
        }
    }

    @Benchmark
    public MemorySegment guardOnly() {
        MemorySegment p = buffer.enter("GuardBench");
        buffer.exit();
        return p;
    }
}
