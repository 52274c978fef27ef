package io.hlo4j.cli;

import io.hlo4j.compiler.graph.Graphviz;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j graph}: an SVG (parsed as XML) with every op of the function; DOT to a file or stdout. */
class GraphCommandTest {
    @TempDir Path dir;

    @Test void svgIsWellFormedAndHasEveryOp() throws Exception {
        Assumptions.assumeTrue(Graphviz.available(), "Graphviz dot is not installed");
        Path f = Files.writeString(dir.resolve("m.mlir"), InspectCommandTest.SHARDED);
        Path svg = dir.resolve("m.svg");
        Cli.Run r = InspectCommandTest.run("graph", f.toString(), "--svg", svg.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        var f0 = DocumentBuilderFactory.newInstance();
        f0.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        NodeList texts = f0.newDocumentBuilder().parse(svg.toFile()).getElementsByTagName("text");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) all.add(texts.item(i).getTextContent());
        assertThat(all).contains("stablehlo.dot_general", "stablehlo.all_reduce", "%arg0", "%arg1", "results", "8x32xf32");
    }

    @Test void dotGoesToAFileOrStdout() throws IOException {
        Path f = Files.writeString(dir.resolve("m.mlir"), InspectCommandTest.SHARDED);
        Path dot = dir.resolve("m.dot");
        Cli.Run r = InspectCommandTest.run("graph", f.toString(), "--dot", dot.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        String text = Files.readString(dot);
        assertThat(text).startsWith("digraph \"main\" {").contains("label=\"stablehlo.all_reduce\\napplies stablehlo.add\"", "penwidth=3");
        Cli.Run s = InspectCommandTest.run("graph", f.toString());
        assertThat(s.out()).isEqualTo(text);
    }

    @Test void withoutGraphvizSvgFallsBackToDotTextBesideIt() throws IOException {
        Path f = Files.writeString(dir.resolve("m.mlir"), InspectCommandTest.SHARDED);
        System.setProperty("hlo4j.dot", "");
        Cli.Run r;
        try {
            r = InspectCommandTest.run("graph", f.toString(), "--svg", dir.resolve("m.svg").toString());
        } finally {
            System.clearProperty("hlo4j.dot");
        }
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(dir.resolve("m.svg")).doesNotExist();
        assertThat(Files.readString(dir.resolve("m.dot"))).startsWith("digraph \"main\" {");
        assertThat(r.err()).contains("Graphviz 'dot' is not on PATH", "m.dot");
    }

    @Test void svgAndDotTogetherIsAUsageError() {
        Cli.Run r = InspectCommandTest.run("graph", "m.mlir", "--svg", "a.svg", "--dot", "a.dot");
        assertThat(r.code()).isEqualTo(Main.USAGE);
    }

    @Test void unknownFunctionIsOneLine() throws IOException {
        Path f = Files.writeString(dir.resolve("m.mlir"), InspectCommandTest.SHARDED);
        Cli.Run r = InspectCommandTest.run("graph", f.toString(), "--function", "nope");
        assertThat(r.code()).isEqualTo(Main.FAILED);
        assertThat(r.err().strip()).isEqualTo("hlo4j: " + f + ": no function @nope; the module has [@main]");
    }
}
