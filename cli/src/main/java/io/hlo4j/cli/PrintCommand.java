package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.print.PrintOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code hlo4j print}: parse, verify and print MLIR files in hlo4j's canonical (upstream-compatible) form. */
@Command(name = "print",
        description = {"Parse, verify and print MLIR files in canonical form.",
                "One file prints to stdout; several need -o DIR, which gets one output file per input, under the",
                "same name. A file with several modules (split by '// -----') prints them split the same way."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j print model.mlir",
                "  hlo4j print --generic model.mlir",
                "  hlo4j print --locations model.mlir       each op followed by loc(\"model.mlir\":line:col)",
                "  hlo4j print --profile pre-properties old.mlir   as JAX exported before MLIR op properties",
                "  hlo4j print -o out/ a.mlir b.mlir        writes out/a.mlir and out/b.mlir"})
final class PrintCommand extends CliCommand {
    @Option(names = "--generic", description = "Print every op in generic form (\"stablehlo.add\"(%%a, %%b) ...).")
    boolean generic;

    /**
     * Off by default, as in upstream's tools: the parser records each op's position in the file, so with
     * locations on every op prints {@code loc("file":line:col)} (mlir-opt's --mlir-print-debuginfo).
     */
    @Option(names = "--locations", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Print loc(...) after each op and argument (--no-locations, the default, leaves them out).")
    boolean locations;

    @Option(names = "--profile", paramLabel = "PROFILE", defaultValue = "current",
            description = "Which upstream printer to match: current (today's stablehlo-opt, the default) or pre-properties "
                    + "(StableHLO exported before MLIR op properties: numbered constants, inherent attributes in {...}, "
                    + "generic dot_general and slice, reduce without 'applies').")
    String profile;

    @Option(names = "--no-verify", description = "Print without verifying first.")
    boolean noVerify;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write each FILE's output to DIR/<name of FILE>.")
    Path outputDir;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "MLIR files to print.")
    List<Path> files;

    @Override public Integer call() throws IOException {
        if (files.size() > 1 && outputDir == null) throw usage("several files need -o DIR");
        if (outputDir != null) checkOutputs();
        PrintOptions.Profile p = switch (profile) {
            case "current" -> PrintOptions.Profile.CURRENT;
            case "pre-properties" -> PrintOptions.Profile.PRE_PROPERTIES;
            default -> throw usage("unknown --profile '" + profile + "' (expected current or pre-properties)");
        };
        PrintOptions options = new PrintOptions(generic, locations, p);
        int failed = 0;
        for (Path file : files) {
            String text;
            try {
                List<Module> modules = ModuleText.parse(file);
                if (!noVerify) ModuleText.verify(modules);
                text = ModuleText.print(modules, options);
            } catch (Exception | StackOverflowError e) {
                fail(file, e);
                failed++;
                continue;
            }
            if (outputDir == null) {
                out().print(text);
                out().flush();
            } else {
                CliFiles.writeString(outputDir.resolve(file.getFileName()), text);
            }
        }
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    /** Refuses, before writing anything, outputs that would collide or overwrite an input. */
    private void checkOutputs() throws IOException {
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) throw usage("-o " + outputDir + " is not a directory");
        Map<Path, Path> byName = new HashMap<>();
        for (Path f : files) {
            Path name = f.getFileName();
            if (name == null) throw usage(f + " is not a file name");
            Path earlier = byName.putIfAbsent(name, f);
            if (earlier != null) throw usage(earlier + " and " + f + " would both be written to " + outputDir.resolve(name));
            Path target = outputDir.resolve(name);
            if (Files.exists(f) && Files.exists(target) && Files.isSameFile(f, target)) {
                throw usage("-o " + outputDir + " would overwrite the input " + f);
            }
        }
        Files.createDirectories(outputDir);
    }
}
