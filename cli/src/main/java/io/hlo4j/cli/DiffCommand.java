package io.hlo4j.cli;

import io.hlo4j.compiler.diff.StructuralDiff;
import io.hlo4j.mlir.ir.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code hlo4j diff}: do two modules compute the same thing the same way, up to names and locations? */
@Command(name = "diff",
        description = {"Structural diff of two MLIR files (exit 0 equal, 1 different).",
                "Both are compared in canonical form, so SSA names, value numbering, spacing, pretty vs generic syntax and locations do not count; ops, operands, attributes,",
                "types and constants do. Exit 0 when equal, 1 when different (the first differences are printed as",
                "unified-diff hunks of the canonical text, with the enclosing function)."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j diff before.mlir after.mlir",
                "  hlo4j diff -U 1 --max-hunks 10 a.mlir b.mlir"})
final class DiffCommand extends CliCommand {
    @Option(names = {"-U", "--context"}, paramLabel = "N", defaultValue = "3", description = "Unchanged lines around each difference (default 3).")
    int context;

    static final int MAX_CONTEXT = 1 << 28;

    @Option(names = "--max-hunks", paramLabel = "N", defaultValue = "5", description = "Show at most N differences (default 5).")
    int maxHunks;

    @Parameters(index = "0", paramLabel = "A", description = "The first MLIR file.")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "The second MLIR file.")
    Path b;

    @Override public Integer call() {
        if (context < 0) throw usage("--context must be at least 0, not " + context);
        if (maxHunks < 1) throw usage("--max-hunks must be at least 1, not " + maxHunks);
        List<Module> ma = read(a);
        if (ma == null) return Main.FAILED;
        List<Module> mb = read(b);
        if (mb == null) return Main.FAILED;
        // More context than any file has lines shows the whole file; the cap keeps line index + context within an int.
        StructuralDiff.Result r = StructuralDiff.diff(ma, mb, Math.min(context, MAX_CONTEXT));
        if (r.equal()) return Main.OK;
        out().print(r.format(a.toString(), b.toString(), maxHunks));
        out().flush();
        return Main.FAILED;
    }

    private List<Module> read(Path file) {
        try {
            return ModuleText.parse(file);
        } catch (Exception | StackOverflowError e) {
            fail(file, e);
            return null;
        }
    }
}
