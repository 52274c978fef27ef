package io.hlo4j.runtime.pjrt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Generator of the golden compile-option bytes under src/test/resources/io/hlo4j/runtime/pjrt/golden.
 * Regenerate (only when the options are meant to change) from the repository root with
 * <pre>
 *   mvn -B -q -pl runtime -am test-compile -Dmaven.test.skip.exec
 *   $JAVA_HOME/bin/java -cp runtime/target/classes:runtime/target/test-classes:$HOME/.m2/repository/com/google/protobuf/protobuf-java/4.33.5/protobuf-java-4.33.5.jar \
 *     io.hlo4j.runtime.pjrt.GoldenCompileOptions runtime/src/test/resources/io/hlo4j/runtime/pjrt/golden
 * </pre>
 * {@link CompileOptionsGoldenTest} checks the files against the builder and against a field-level
 * decoding that does not use the generated classes.
 */
public final class GoldenCompileOptions {
    private GoldenCompileOptions() {}

    static final String ONE_DEVICE = "compile-options-1dev.bin";
    static final String EIGHT_DEVICE_SPMD = "compile-options-8dev-spmd.bin";

    /** jit on one device (id 0), every sharding given. */
    static CompileOptions oneDevice() { return CompileOptions.singleDevice(0); }

    /** jit over 8 devices (ids 0..7) with Shardy: two given argument shardings, one free result. */
    static CompileOptions eightDeviceSpmd() {
        return CompileOptions.builder()
                .devices(0, 1, 2, 3, 4, 5, 6, 7)
                .propagateToParameters(false, false)
                .propagateToOutput(true)
                .option("xla_gpu_autotune_level", 0L)
                .option("xla_dump_hlo_as_text", true)
                .build();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "runtime/src/test/resources/io/hlo4j/runtime/pjrt/golden");
        Files.createDirectories(dir);
        Files.write(dir.resolve(ONE_DEVICE), oneDevice().toBytes());
        Files.write(dir.resolve(EIGHT_DEVICE_SPMD), eightDeviceSpmd().toBytes());
        System.out.println("wrote " + dir.resolve(ONE_DEVICE) + " and " + dir.resolve(EIGHT_DEVICE_SPMD));
    }
}
