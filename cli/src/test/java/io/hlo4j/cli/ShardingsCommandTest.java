package io.hlo4j.cli;

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

/** {@code hlo4j shardings}: the device table per sharded tensor, and an SVG with every device. */
class ShardingsCommandTest {
    @TempDir Path dir;

    @Test void tableAndSvgShowEveryDevice() throws Exception {
        Path f = Files.writeString(dir.resolve("m.mlir"), InspectCommandTest.SHARDED);
        Path svg = dir.resolve("s.svg");
        Cli.Run r = InspectCommandTest.run("shardings", f.toString(), "--svg", svg.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        // %arg0 rows over x (devices 0,1 have x=0): two blocks, each replicated over y.
        assertThat(r.out()).contains("@main %arg0: tensor<8x16xf32>", "blocks [2, 1], block shape [4, 16]", "dev 0,1", "dev 2,3");
        // The result over x and y: four blocks, one device each.
        assertThat(r.out()).contains("@main result #0", "blocks [2, 2], block shape [4, 16]");
        NodeList texts = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile()).getElementsByTagName("text");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) all.add(texts.item(i).getTextContent());
        for (int d = 0; d < 4; d++) assertThat(all).contains("dev " + d);
        assertThat(all).contains("dev 0,2", "dev 1,3");
    }

    @Test void unshardedModuleSaysSo() throws IOException {
        Path f = Files.writeString(dir.resolve("u.mlir"), DiffCommandTest.A);
        Cli.Run r = InspectCommandTest.run("shardings", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("no sharded tensors");
    }
}
