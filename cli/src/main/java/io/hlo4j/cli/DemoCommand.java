package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.verify.ModuleVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code hlo4j demo}: parses, verifies and summarises a hand-written StableHLO program shipped with hlo4j, a
 * Mixtral-style top-2 MoE block (router + SwiGLU experts). Later it will also run it.
 */
@Command(name = "demo",
        description = {"Parse, verify and summarise a bundled StableHLO program (a MoE block).",
                "The program is a Mixtral-style MoE block written by hand: a top-2 router and SwiGLU expert FFNs",
                "(8 tokens, hidden 16, 4 experts, FFN 32)."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j demo", "  hlo4j demo --print > moe_block.mlir"})
final class DemoCommand extends CliCommand {
    /** Where the program lives on the class path; also the file name its diagnostics carry. */
    static final String RESOURCE = "demo/moe_block.mlir";

    @Option(names = "--print", description = "Print the whole program (as hlo4j prints it) instead of the summary.")
    boolean print;

    @Override public Integer call() {
        Module module = MlirParser.parseModule(source(), RESOURCE);
        ModuleVerifier.verify(module);
        if (print) {
            out().print(MlirPrinter.print(module, PrintOptions.DEFAULT));
        } else {
            out().println("hlo4j demo: Mixtral-style top-2 MoE block (" + RESOURCE + "), parsed and verified");
            out().print(ModuleSummary.of(module).format());
            out().println("see the program: hlo4j demo --print");
        }
        out().flush();
        return Main.OK;
    }

    static String source() {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + RESOURCE + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
