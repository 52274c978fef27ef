package io.hlo4j.cli;

import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.compiler.spmd.partition.PartitionedProgram;
import io.hlo4j.compiler.spmd.propagate.Propagated;
import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.compiler.spmd.propagate.ShardingConflict;
import io.hlo4j.mlir.dialect.sdy.SdyVerifier;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.MlirPrinter;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code hlo4j dump FILE.mlir}: the user's own Shardy-annotated module (hand-written or exported) through hlo4j's SPMD
 * path, the one {@code run --spmd} takes: as parsed, after propagation, or as the explicit per-device program.
 * The mesh is the module's own {@code sdy.mesh}, so the built-in models' shape and mesh flags do not apply.
 */
final class DumpFile {
    private DumpFile() {}

    /**
     * MODEL names a user module: a path ending in {@code .mlir}, or any other existing file, unless it is a model's name
     * ({@code models}: the built-in ones, the examples and those on --classpath), which always means the model, even when a
     * file of that name sits in the working directory ({@code ./moe} is the file).
     */
    static boolean isFile(String model, java.util.Collection<String> models) { return isFile(model, models, Path.of("")); }

    /** As {@link #isFile(String, java.util.Collection)}, with a relative MODEL resolved against {@code cwd}. */
    static boolean isFile(String model, java.util.Collection<String> models, Path cwd) {
        if (models.contains(model)) return false;
        if (model.endsWith(".mlir")) return true;
        try {
            return Files.isRegularFile(cwd.resolve(model));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /**
     * The text to write for {@code --emit annotated --stage traced|propagated} or {@code --emit explicit}: the module
     * parsed and verified, then (past traced) its annotations checked against its meshes, calls inlined and shardings
     * propagated, then (explicit) partitioned. Propagation conflicts and the partitioner's report go to {@code err}.
     */
    static String text(Path file, String stage, PrintWriter err) throws IOException { return text(file, stage, err, false); }

    /** As {@link #text(Path, String, PrintWriter)}; {@code locations}: every op with its {@code loc(...)}. */
    static String text(Path file, String stage, PrintWriter err, boolean locations) throws IOException {
        io.hlo4j.mlir.print.PrintOptions opts = new io.hlo4j.mlir.print.PrintOptions(false, locations);
        List<Module> modules = ModuleText.parse(file);
        if (modules.size() != 1) throw new IllegalArgumentException(file + " holds " + modules.size() + " modules; dump takes one");
        ModuleText.verify(modules);
        Module m = modules.get(0);
        return switch (stage) {
            case "traced" -> MlirPrinter.print(m, opts);
            case "propagated" -> {
                SdyVerifier.verifyShardingAnnotations(m.op());
                Propagated prop = Propagation.propagate(Spmd.inlineCalls(m));
                for (ShardingConflict c : prop.conflicts()) err.println("hlo4j: propagation: " + c);
                yield MlirPrinter.print(prop.module(), opts);
            }
            case "partitioned" -> {
                RunChecks.notPerDevice(m, "there is nothing to partition");
                RunChecks.meshesPartitionable(m);
                PartitionedProgram pp;
                try {
                    pp = Spmd.explicit(m);
                } catch (Hlo4jException e) {
                    // an old unmarked per-device dump reads as a global program with collectives outside a manual computation
                    String hint = RunChecks.perDeviceDumpHint(m);
                    if (hint.isEmpty()) throw e;
                    throw new Hlo4jException(e.detail() + hint, e.location(), e);
                }
                for (var entry : pp.report().entries()) err.println("hlo4j: partitioner: " + entry);
                yield MlirPrinter.print(pp.moduleWithMeshes(), opts);
            }
            default -> throw new IllegalStateException("stage " + stage);
        };
    }
}
