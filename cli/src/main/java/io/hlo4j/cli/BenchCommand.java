package io.hlo4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code hlo4j bench}: a group of measurements; each is one subcommand class. */
@Command(name = "bench",
        description = "Measure hlo4j's speed on real inputs.",
        mixinStandardHelpOptions = true,
        subcommands = {BenchParseCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j bench parse", "  hlo4j bench parse --repeat 10 ../shared/conformance/testdata"})
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { throw new Main.UsageError("which benchmark? one of " + spec.subcommands().keySet()); }
}
