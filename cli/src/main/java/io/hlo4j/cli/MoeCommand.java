package io.hlo4j.cli;

import picocli.CommandLine.Command;

/** {@code hlo4j moe}: the MoE layer of the DSL as a command; {@code moe run} is its one subcommand so far. */
@Command(name = "moe",
        description = "Run the DSL's mixture-of-experts layer on .npy weights (see 'hlo4j moe run --help').",
        mixinStandardHelpOptions = true,
        subcommands = {MoeRunCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j moe run --config moe.json --weights weights/ --input x.npy -o out/ --method fused"})
final class MoeCommand extends CliCommand {
    @Override public Integer call() {
        throw usage("missing subcommand; expected: run");
    }
}
