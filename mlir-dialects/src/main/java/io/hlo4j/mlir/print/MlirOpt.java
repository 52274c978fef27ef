package io.hlo4j.mlir.print;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where LLVM's {@code mlir-opt} is, for the checks that hand it hlo4j's generic print: {@code -Dhlo4j.mlirOpt},
 * {@code $MLIR_OPT}, {@code /usr/lib/llvm-22/bin/mlir-opt}, then the PATH. The one lookup for every module.
 */
public final class MlirOpt {
    private MlirOpt() {}

    /** What to say when {@link #find} finds nothing. */
    public static final String NOT_FOUND = "mlir-opt not found (install mlir-22-tools or set -Dhlo4j.mlirOpt / $MLIR_OPT)";

    /** The first executable candidate, or null. */
    public static Path find() {
        for (String c : candidates()) {
            Path p = Path.of(c);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }

    /** The places looked in, in order. */
    public static List<String> candidates() {
        List<String> c = new ArrayList<>();
        String prop = System.getProperty("hlo4j.mlirOpt"), env = System.getenv("MLIR_OPT"), path = System.getenv("PATH");
        if (prop != null && !prop.isBlank()) c.add(prop);
        if (env != null && !env.isBlank()) c.add(env);
        c.add("/usr/lib/llvm-22/bin/mlir-opt");
        if (path != null) for (String d : path.split(File.pathSeparator)) if (!d.isEmpty()) c.add(d + "/mlir-opt");
        return c;
    }
}
