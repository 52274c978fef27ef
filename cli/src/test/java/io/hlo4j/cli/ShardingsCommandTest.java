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

    /**
     * Shardy's sub-axis "y":(2)2 of y=4 is y's minor half (y reshaped to [2, 2, 1]): devices 0 and 2 hold block 0,
     * devices 1 and 3 block 1, as the interpreter's shard layout places them.
     */
    @Test void subAxisBlocksGoToTheDevicesShardyGivesThem() throws IOException {
        Path f = Files.writeString(dir.resolve("sub.mlir"), """
                module {
                  sdy.mesh @mesh = <["y"=4]>
                  func.func @main(%a: tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"y":(2)2}]>}) -> tensor<8xf32> {
                    return %a : tensor<8xf32>
                  }
                }""");
        Cli.Run r = InspectCommandTest.run("shardings", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("blocks [2], block shape [4]\n").contains("| dev 0,2 | dev 1,3 |");
    }

    static final String UNEVEN = """
            module {
              sdy.mesh @mesh = <["x"=2]>
              func.func @main(%a: tensor<3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<3xf32> {
                return %a : tensor<3xf32>
              }
            }""";

    /** 3 elements over 2 devices: Shardy pads, hlo4j refuses; both reports say the shard is uneven instead of padding silently. */
    @Test void unevenSplitIsMarkedInShardingsAndInspect() throws IOException {
        Path f = Files.writeString(dir.resolve("uneven.mlir"), UNEVEN);
        Cli.Run s = InspectCommandTest.run("shardings", f.toString());
        assertThat(s.code()).as(s.toString()).isZero();
        assertThat(s.out()).contains("blocks [2], block shape [2] (uneven: dim 0 padded by Shardy; hlo4j's partitioner refuses it)\n");
        Cli.Run i = InspectCommandTest.run("inspect", f.toString());
        assertThat(i.code()).as(i.toString()).isZero();
        assertThat(i.out()).contains("shard [2] (8 B per device) (uneven: dim 0 padded by Shardy; hlo4j's partitioner refuses it)\n");
        // an even split carries no mark
        Path even = Files.writeString(dir.resolve("even.mlir"), UNEVEN.replace("3xf32", "4xf32"));
        assertThat(InspectCommandTest.run("shardings", even.toString()).out()).contains("block shape [2]\n").doesNotContain("uneven");
        assertThat(InspectCommandTest.run("inspect", even.toString()).out()).contains("shard [2] (8 B per device)\n").doesNotContain("uneven");
    }
}
