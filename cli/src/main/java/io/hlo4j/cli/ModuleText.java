package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.verify.ModuleVerifier;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reading, verifying and printing whole files, the way every file-taking command does it. */
final class ModuleText {
    /** Separates the modules of a split-input file, in what we read and what we print (as mlir-opt does). */
    static final String SPLIT_MARKER = "// -----";

    private ModuleText() {}

    /** Parses a file (split markers honoured); diagnostics, a folder or text that is not UTF-8 included, name the path as given. */
    static List<Module> parse(Path file) throws IOException {
        return MlirParser.parseFile(file);
    }

    static void verify(List<Module> modules) {
        for (Module m : modules) ModuleVerifier.verify(m);
    }

    /** Prints each module; several are separated by {@code // -----} lines. Ends with a newline. */
    static String print(List<Module> modules, PrintOptions options) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < modules.size(); i++) {
            if (i > 0) sb.append(SPLIT_MARKER).append('\n');
            sb.append(MlirPrinter.print(modules.get(i), options));
            if (sb.isEmpty() || sb.charAt(sb.length() - 1) != '\n') sb.append('\n');
        }
        return sb.toString();
    }
}
