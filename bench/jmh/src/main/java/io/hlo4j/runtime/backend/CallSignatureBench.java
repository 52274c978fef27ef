package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.HostArrays;
import io.hlo4j.runtime.pjrt.PjrtClient;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.PjrtPlugin;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * What a job's global call pays to fingerprint its arguments ({@link CallSignature}), against what the same call pays to
 * move them, for one argument of {@code bytes} bytes of f32 or bf16, in microseconds per call:
 * <ul>
 *   <li>{@code fingerprint}: {@link CallSignature#of} as it is (CRC32C + CRC32 over the array's bytes, chunk by chunk);</li>
 *   <li>{@code fingerprintByCopy}: the same two CRCs over {@link HostArray#toLittleEndianBytes()}, as before;</li>
 *   <li>{@code copyOnly}: {@link HostArray#toLittleEndianBytes()} alone;</li>
 *   <li>{@code memcpy}: {@link System#arraycopy} of as many bytes;</li>
 *   <li>{@code toDeviceOnMock}: the call's host-to-device transfer of the argument on the mock plugin
 *   ({@link HostArrays#toHostData}, {@link PjrtClient#toDevice}, the buffer closed), whose own work is a memcpy.</li>
 * </ul>
 * Run with {@code bench/jmh.sh CallSignatureBench} (the mock is built by the runtime's tests:
 * {@code runtime/target/mock-pjrt/libpjrt_mock.so}, or {@code -Dhlo4j.pjrt.mock=PATH} in {@code BENCH_JAVA_OPTS}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--enable-native-access=ALL-UNNAMED"})
public class CallSignatureBench {
    @Param({"1024", "65536", "1048576", "16777216", "67108864"})
    public int bytes;

    @Param({"f32", "bf16"})
    public String dtype;

    HostArray arg;
    List<HostArray> args;
    byte[] src, dst;
    PjrtClient client;
    PjrtDevice device;

    @Setup(Level.Trial)
    public void setup() {
        FloatType t = dtype.equals("f32") ? FloatType.F32 : FloatType.BF16;
        int n = bytes / t.storageBytes();
        byte[] raw = new byte[bytes];
        new SplittableRandom(7).nextBytes(raw);
        arg = HostArray.fromLittleEndianBytes(TensorType.of(t, n), raw);
        args = List.of(arg);
        src = raw;
        dst = new byte[bytes];
        String mock = System.getProperty("hlo4j.pjrt.mock", "runtime/target/mock-pjrt/libpjrt_mock.so");
        client = PjrtPlugin.load(Path.of(mock).toAbsolutePath()).createClient();
        device = client.addressableDevices().getFirst();
    }

    @TearDown(Level.Trial)
    public void close() { client.close(); }

    @Benchmark
    public byte[] fingerprint() { return CallSignature.of("main", args); }

    @Benchmark
    public long fingerprintByCopy() {
        CRC32C a = new CRC32C();
        CRC32 b = new CRC32();
        byte[] head = "main".getBytes(StandardCharsets.UTF_8);
        a.update(head);
        b.update(head);
        byte[] t = arg.type().toString().getBytes(StandardCharsets.UTF_8), v = arg.toLittleEndianBytes();
        a.update(t);
        b.update(t);
        a.update(v);
        b.update(v);
        return a.getValue() << 32 | b.getValue();
    }

    @Benchmark
    public byte[] copyOnly() { return arg.toLittleEndianBytes(); }

    @Benchmark
    public byte[] memcpy() {
        System.arraycopy(src, 0, dst, 0, bytes);
        return dst;
    }

    @Benchmark
    public void toDeviceOnMock() {
        client.toDevice(HostArrays.toHostData(arg), device).close();
    }
}
