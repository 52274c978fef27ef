package io.hlo4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code hlo4j verify}: parse and verify each file, one line per file. */
@Command(name = "verify",
        description = {"Parse and verify MLIR files (every module of a split file).",
                "Prints 'OK FILE' for each good file and one error line (file:line:col: message) for each bad one."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j verify model.mlir",
                "  hlo4j verify ../shared/conformance/interpret/*.mlir"})
final class VerifyCommand extends CliCommand {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "MLIR files to verify.")
    List<Path> files;

    @Override public Integer call() {
        int failed = 0;
        for (Path file : files) {
            try {
                ModuleText.verify(ModuleText.parse(file));
                out().println("OK " + file);
                out().flush();
            } catch (Exception | StackOverflowError e) {
                fail(file, e);
                failed++;
            }
        }
        return failed == 0 ? Main.OK : Main.FAILED;
    }
}
