package io.hlo4j.cli;

import io.hlo4j.compiler.graph.ShardedTensors;
import io.hlo4j.compiler.graph.ShardingLayout;
import io.hlo4j.compiler.graph.ShardingSvg;
import io.hlo4j.mlir.ir.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code hlo4j shardings}: for each sharded tensor, which device holds which block. */
@Command(name = "shardings",
        description = {"Show which device holds which block of each sharded tensor.",
                "Each sharded tensor (function arguments and results with sdy.sharding, op results with a sharding) is laid out over the devices of its mesh: a grid with one cell per block",
                "listing the devices that hold it (several when the tensor is replicated over an axis).",
                "Rows are the blocks of every dimension but the last, columns those of the last one."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j shardings model.mlir",
                "  hlo4j shardings model.mlir --svg shardings.svg"})
final class ShardingsCommand extends CliCommand {
    @Option(names = "--svg", paramLabel = "OUT", description = "Also write the pictures as one SVG file.")
    Path svg;

    @Parameters(paramLabel = "FILE", description = "The MLIR file.")
    Path file;

    @Override public Integer call() {
        List<ShardingSvg.Item> items = new ArrayList<>();
        if (svg != null) {
            try {
                CliFiles.checkOutputFile(svg, "--svg"); // before anything is printed
            } catch (Exception e) {
                fail(svg, e);
                return Main.FAILED;
            }
        }
        try {
            List<Module> modules = ModuleText.parse(file);
            ModuleText.verify(modules);
            // GSPMD strings and jax.export's round-trip form are shown as the Shardy shardings run --spmd reads them as
            for (Module m : modules) {
                // every device of a mesh is drawn: a mesh past the limit is refused by name and line before any list is built
                for (var site : io.hlo4j.compiler.spmd.DeviceLimits.meshes(m)) {
                    if (site.devices() > ShardingLayout.MAX_DEVICES) {
                        throw new io.hlo4j.mlir.ir.Hlo4jException(site.what() + " has " + (site.devices() == Long.MAX_VALUE ? "more than 2^63"
                                : String.valueOf(site.devices())) + " devices; shardings draws at most " + ShardingLayout.MAX_DEVICES, site.location());
                    }
                }
                items.addAll(ShardedTensors.collect(io.hlo4j.compiler.gspmd.GspmdImport.toShardy(io.hlo4j.compiler.gspmd.SdyRoundTripImport.toShardy(m))));
            }
        } catch (Exception | StackOverflowError e) {
            fail(file, e);
            return Main.FAILED;
        }
        StringBuilder sb = new StringBuilder();
        if (items.isEmpty()) sb.append("no sharded tensors in ").append(file).append('\n');
        for (ShardingSvg.Item it : items) {
            ShardingLayout l = it.layout();
            sb.append(it.title()).append('\n').append("  blocks ").append(Arrays.toString(l.blocksPerDim()))
                    .append(", block shape ").append(Arrays.toString(l.blockShape()))
                    .append(io.hlo4j.compiler.cost.CostReport.unevenNote(l.unevenDims())).append('\n').append(l.table()).append('\n');
        }
        out().print(sb);
        out().flush();
        if (svg != null) {
            try {
                CliFiles.prepareOutputFile(svg, "--svg");
                CliFiles.writeString(svg, ShardingSvg.render(items));
            } catch (Exception e) {
                fail(svg, e);
                return Main.FAILED;
            }
        }
        return Main.OK;
    }
}
