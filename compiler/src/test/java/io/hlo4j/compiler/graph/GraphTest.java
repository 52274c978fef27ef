package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dataflow DOT/SVG holds every op, highlights collectives, labels edges with shapes; SVGs are well-formed XML. */
class GraphTest {
    static final String MODULE = """
            func.func @main(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
              %c = stablehlo.constant dense<1.0> : tensor<8x4xf32>
              %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
              %1 = stablehlo.add %0, %c : tensor<8x4xf32>
              %2 = "stablehlo.all_reduce"(%1) ({
              ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                %s = stablehlo.add %x, %y : tensor<f32>
                stablehlo.return %s : tensor<f32>
              }) {replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>} : (tensor<8x4xf32>) -> tensor<8x4xf32>
              %3 = stablehlo.transpose %2, dims = [1, 0] : (tensor<8x4xf32>) -> tensor<4x8xf32>
              %4 = stablehlo.transpose %3, dims = [1, 0] : (tensor<4x8xf32>) -> tensor<8x4xf32>
              return %4 : tensor<8x4xf32>
            }""";

    static Document xml(String text) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    static List<String> texts(Document d) {
        NodeList n = d.getElementsByTagName("text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.getLength(); i++) out.add(n.item(i).getTextContent());
        return out;
    }

    @Test void dotHasANodePerOpAndShapedEdges() {
        Module m = MlirParser.parseModule(MODULE, "g.mlir");
        String dot = DataflowGraph.dot(DataflowGraph.function(m, null));
        for (String op : List.of("stablehlo.constant", "stablehlo.dot_general", "stablehlo.add", "stablehlo.all_reduce")) {
            assertThat(dot).contains("label=\"" + op);
        }
        // Two transposes: two nodes.
        assertThat(dot.split("label=\"stablehlo.transpose", -1)).hasSize(3);
        // Nodes are the body's ops in order: n0 constant, n1 dot_general, n2 add, n3 all_reduce, n4 and n5 the
        // transposes. The returned value is %4, the second transpose's [8, 4] result.
        assertThat(dot).contains("arg0 -> n1 [label=\"8x16xf32\"]", "arg1 -> n1 [label=\"16x4xf32\"]", "n5 -> out [label=\"8x4xf32\"]");
        assertThat(dot).contains("n4 -> n5 [label=\"4x8xf32\"]");
        // The collective is highlighted; the reducer's inner add is not a node of its own.
        assertThat(dot).contains("n3 [fillcolor=\"" + OpKind.COLLECTIVE.fill + "\", color=\"#c62828\", penwidth=3");
        assertThat(dot.split("label=\"stablehlo.add", -1)).hasSize(2);
        assertThat(dot).contains("label=\"stablehlo.all_reduce\\napplies stablehlo.add\"");
    }

    @Test void svgFromGraphvizIsWellFormedAndHasEveryOp() throws Exception {
        Assumptions.assumeTrue(Graphviz.available(), "Graphviz dot is not installed");
        Module m = MlirParser.parseModule(MODULE, "g.mlir");
        String svg = Graphviz.svg(DataflowGraph.dot(DataflowGraph.function(m, "main")));
        List<String> texts = texts(xml(svg));
        for (String op : List.of("stablehlo.constant", "stablehlo.dot_general", "stablehlo.add", "stablehlo.all_reduce", "stablehlo.transpose")) {
            assertThat(texts).contains(op);
        }
        assertThat(texts.stream().filter("stablehlo.transpose"::equals).count()).isEqualTo(2);
        assertThat(texts).contains("8x16xf32", "results");
    }

    @Test void unknownFunctionIsRefusedByName() {
        Module m = MlirParser.parseModule(MODULE, "g.mlir");
        assertThatThrownBy(() -> DataflowGraph.function(m, "@nope")).hasMessageContaining("no function @nope").hasMessageContaining("@main");
        Operation f = DataflowGraph.function(m, "@main");
        assertThat(DataflowGraph.nameOf(f)).isEqualTo("main");
    }
}
