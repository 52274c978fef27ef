package io.hlo4j.cli;

import io.hlo4j.compiler.graph.DataflowGraph;
import io.hlo4j.compiler.graph.Graphviz;
import io.hlo4j.mlir.ir.Module;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code hlo4j graph}: the dataflow picture of one function. */
@Command(name = "graph",
        description = {"Draw a function's dataflow graph as SVG (Graphviz) or DOT.",
                "A node per op, filled by kind (contractions, reductions, elementwise, data movement, constants; collectives in red with a bold border), an edge per use",
                "labelled with the shape. --svg renders with Graphviz 'dot' when it is installed; without it the",
                "DOT text is written beside OUT (OUT with .dot) and a note says so. With neither option the DOT",
                "text goes to stdout."},
        mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  hlo4j graph model.mlir --svg model.svg",
                "  hlo4j graph model.mlir --dot model.dot --function @body",
                "  hlo4j graph model.mlir | dot -Tpng > model.png"})
final class GraphCommand extends CliCommand {
    static final class Output {
        @Option(names = "--svg", paramLabel = "OUT", description = "Write an SVG picture (needs Graphviz 'dot').")
        Path svg;

        @Option(names = "--dot", paramLabel = "OUT", description = "Write Graphviz DOT text.")
        Path dot;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Output output;

    @Option(names = "--function", paramLabel = "NAME", description = "The function to draw (default: @main, else the first).")
    String function;

    @Parameters(paramLabel = "FILE", description = "The MLIR file to draw.")
    Path file;

    @Override public Integer call() {
        Path target = output == null ? null : output.svg != null ? output.svg : output.dot;
        String option = output == null ? null : output.svg != null ? "--svg" : "--dot";
        if (target != null) {
            try {
                CliFiles.checkOutputFile(target, option); // before the work: a wrong path is refused first
            } catch (Exception e) {
                fail(target, e);
                return Main.FAILED;
            }
        }
        String dot;
        try {
            List<Module> modules = ModuleText.parse(file);
            if (modules.size() != 1) throw new IllegalArgumentException("has " + modules.size() + " modules; graph draws one");
            dot = DataflowGraph.dot(DataflowGraph.function(modules.get(0), function));
        } catch (Exception | StackOverflowError e) {
            fail(file, e);
            return Main.FAILED;
        }
        try {
            if (target != null) CliFiles.prepareOutputFile(target, option);
            if (output == null) {
                out().print(dot);
                out().flush();
            } else if (output.dot != null) {
                CliFiles.writeString(output.dot, dot);
            } else if (Graphviz.available()) {
                CliFiles.writeString(output.svg, Graphviz.svg(dot));
            } else {
                Path dotFile = withExtension(output.svg, ".dot");
                CliFiles.writeString(dotFile, dot);
                err().println("hlo4j graph: Graphviz 'dot' is not on PATH, so wrote DOT text to " + dotFile
                        + " instead of " + output.svg + " (apt-get install graphviz)");
                err().flush();
            }
        } catch (Exception e) {
            fail(target, e);
            return Main.FAILED;
        }
        return Main.OK;
    }

    static Path withExtension(Path p, String ext) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return p.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ext);
    }
}
