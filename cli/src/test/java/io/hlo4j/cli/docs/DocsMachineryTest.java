package io.hlo4j.cli.docs;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The docs test's own parts, on small hand-written inputs. */
class DocsMachineryTest {

    @Test
    void fencesWithLabelsFlagsAndFiles() {
        MarkdownBlocks p = MarkdownBlocks.parse("p.md", List.of(
                "text", "```console no-run", "$ ./hlo4j x", "```", "", "```mlir file=docs/examples/a.mlir", "a", "b", "```",
                "``` ", "plain", "```", "see ```inline``` here"));
        assertThat(p.blocks()).hasSize(3);
        MarkdownBlocks.Block b0 = p.blocks().get(0), b1 = p.blocks().get(1), b2 = p.blocks().get(2);
        assertThat(b0.lang()).isEqualTo("console");
        assertThat(b0.has("no-run")).isTrue();
        assertThat(b0.where()).isEqualTo("p.md:2");
        assertThat(b1.file()).isEqualTo("docs/examples/a.mlir");
        assertThat(b1.content()).containsExactly("a", "b");
        assertThat(b1.lineOf(1)).isEqualTo(8);
        assertThat(b2.lang()).isEmpty();
        assertThatThrownBy(() -> MarkdownBlocks.parse("q.md", List.of("x", "```java", "int a;")))
                .hasMessage("q.md:2: code block is never closed");
    }

    @Test
    void consoleBlocksSplitIntoCommandsAndOutputs() {
        MarkdownBlocks.Block b = MarkdownBlocks.parse("p.md", List.of("```console", "$ a 1", "out1", "out2", "$ b", "```"))
                .blocks().get(0);
        ConsoleScript s = ConsoleScript.of(b);
        assertThat(s.steps()).containsExactly(new ConsoleScript.Step("a 1", 2, List.of("out1", "out2")), new ConsoleScript.Step("b", 5, List.of()));
        MarkdownBlocks.Block bad = MarkdownBlocks.parse("p.md", List.of("```console", "output first", "$ a", "```")).blocks().get(0);
        assertThatThrownBy(() -> ConsoleScript.of(bad)).hasMessageStartingWith("p.md:2: a console block starts with a '$ ' command line");
    }

    @Test
    void shellWordsQuotesPipesAndStatus() {
        Shell.Line l = Shell.parse("./hlo4j a 'b c' \"d $?\" e\\ f | head -3; echo \"exit $?\"");
        assertThat(l.pipelines()).hasSize(2);
        assertThat(l.pipelines().get(0)).containsExactly(List.of("./hlo4j", "a", "b c", "d " + Shell.STATUS, "e f"), List.of("head", "-3"));
        assertThat(l.pipelines().get(1)).containsExactly(List.of("echo", "exit " + Shell.STATUS));
        assertThat(Shell.parse("sed -n '/\"x\"/,/^  \\],/p'").pipelines().get(0).get(0)).containsExactly("sed", "-n", "/\"x\"/,/^  \\],/p");
        for (String refused : List.of("a > f", "a && b", "echo $HOME", "ls *.mlir", "a |", "a # comment", "echo 'open")) {
            assertThatThrownBy(() -> Shell.parse(refused)).as(refused).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("does not support").hasMessageContaining(refused);
        }
    }

    @Test
    void outputMatchingNormalisesTimesAndHonoursEllipses() {
        assertThat(OutputMatch.compare(List.of("ran in 12.5 ms", "b  "), "ran in 3 s\nb\n\n")).isNull();
        assertThat(OutputMatch.compare(List.of("first", "...", "last"), "first\nx\ny\nlast\n")).isNull();
        assertThat(OutputMatch.compare(List.of("first", "...", "last"), "first\nlast\n")).isNull();
        assertThat(OutputMatch.compare(List.of("hlo4j ... (Java ...)"), "hlo4j dev (Java 25.0.3+9-LTS)\n")).isNull();
        // "5.3 MB/s" is a rate, not a duration: it must match by '...' or exactly.
        assertThat(OutputMatch.compare(List.of("5.3 MB/s"), "6.1 MB/s")).contains("expected: 5.3 MB/s", "actual:   6.1 MB/s");
        assertThat(OutputMatch.compare(List.of("a", "b"), "a\nc\n")).isEqualTo(
                "output line 2 differs from the page's line 2 of this command's output:\n  expected: b\n  actual:   c");
        assertThat(OutputMatch.compare(List.of("a"), "a\nmore\n")).contains("goes on after the page's last line", "more");
        assertThat(OutputMatch.compare(List.of("a", "b"), "a\n")).contains("ends before the page's line 2");
        assertThat(OutputMatch.compare(List.of("x...", "y"), "x1\nz\n")).isNotNull();
    }

    @Test
    void mlirBlocksMustParseAndVerify() {
        List<String> good = List.of("```mlir", "func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {",
                "  %0 = stablehlo.add %a, %a : tensor<2xf32>", "  func.return %0 : tensor<2xf32>", "}", "```");
        assertThat(DocsPlan.mlirProblem(MarkdownBlocks.parse("p.md", good).blocks().get(0))).isNull();
        List<String> bad = new java.util.ArrayList<>(good);
        bad.set(2, "  %0 = stablehlo.add %a, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>");
        assertThat(DocsPlan.mlirProblem(MarkdownBlocks.parse("p.md", bad).blocks().get(0)))
                .startsWith("p.md:1: the mlir block does not parse or verify").contains("block:3:15: %0 has type tensor<3xf32>");
    }

    @Test
    void builtinsPrintWhatCoreutilsPrint() throws Exception {
        String text = "a\n  \"collectives\": [\n    1\n  ],\nz\n";
        assertThat(run(o -> Builtins.sed(List.of("-n", "/\"collectives\"/,/^  \\],/p"), text, o, o))).isEqualTo("  \"collectives\": [\n    1\n  ],\n");
        assertThat(run(o -> Builtins.sed(List.of("-n", "2,3p"), text, o, o))).isEqualTo("  \"collectives\": [\n    1\n");
        assertThat(run(o -> Builtins.sed(List.of("-n", "$p"), text, o, o))).isEqualTo("z\n");
        assertThat(run(o -> Builtins.head(List.of("-2"), text, o, o))).isEqualTo("a\n  \"collectives\": [\n");
        assertThat(run(o -> Builtins.tail(List.of("-n", "1"), text, o, o))).isEqualTo("z\n");
        assertThat(run(o -> Builtins.grep(List.of("-c", "^ "), text, o, o))).isEqualTo("3\n");
        assertThat(run(o -> Builtins.grep(List.of("-v", "^ "), text, o, o))).isEqualTo("a\nz\n");
        assertThat(run(o -> Builtins.wc(List.of("-l"), "x\ny", o, o))).isEqualTo("2\n");
    }

    @Test
    void unshownNonZeroExitsAreProblemsAndTmpIsPrivate() throws Exception {
        DocsRunner.Result r = new DocsRunner.Console(new DocsRunner.Job("t", "console",
                List.of("./hlo4j frobnicate", "./hlo4j frobnicate; echo \"exit $?\"", "./hlo4j frobnicate", "echo $?", "ls /tmp",
                        "./hlo4j frobnicate | head -1"), null, null), null).run();
        assertThat(r.problems().get(0)).singleElement().asString()
                .isEqualTo("'./hlo4j frobnicate' exited 2 but the page does not show it (end the line with '; echo \"exit $?\"' or follow it with '$ echo $?')");
        assertThat(r.problems().get(1)).isEmpty();
        assertThat(r.outputs().get(1)).isEqualTo("hlo4j: unknown command 'frobnicate' (see 'hlo4j --help')\nexit 2\n");
        assertThat(r.problems().get(2)).isEmpty();
        assertThat(r.outputs().get(3)).isEqualTo("2\n");
        assertThat(r.outputs().get(4)).as("a fresh /tmp for the block").isEmpty();
        assertThat(r.problems().get(5)).singleElement().asString().contains("inside a pipe");
    }

    @Test
    void conformancePathsGoWhereTheTestsWereToldAndPrintAsWritten() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("conf");
        try {
            java.nio.file.Files.writeString(dir.resolve("f.mlir"), "");
            DocsRunner.Result r = new DocsRunner.Console(new DocsRunner.Job("t", "console",
                    List.of("ls ../shared/conformance", "echo " + dir + "/f.mlir"), null, null), dir.toString()).run();
            assertThat(r.outputs()).containsExactly("f.mlir\n", "../shared/conformance/f.mlir\n");
        } finally {
            DocsRunner.deleteTree(dir);
        }
    }

    /**
     * gpu.md's two-process job names coordinator port 29517: each block runs on a port free at that moment instead and
     * shows 29517 in its output, so a docs run beside another one (which holds 29517 here) still gives the page's lines.
     */
    @Test
    void theCoordinatorPortIsAFreeOneInEachBlock() throws Exception {
        // Paths relative to the test's working directory (cli/): the runner maps every /tmp word into the block's folder,
        // so an absolute path of a checkout under /tmp would be mapped away
        String plugin = "../runtime/target/mock-pjrt/libpjrt_mock.so";
        if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(plugin))) {
            if (System.getenv("CI") != null) throw new IllegalStateException("mock PJRT plugin not built at " + plugin);
            org.junit.jupiter.api.Assumptions.abort("mock PJRT plugin not built at " + plugin);
        }
        String job = " --pjrt-plugin " + plugin + " --pjrt-option num_devices=2 --num-processes 2 --coordinator localhost:"
                + DocsRunner.Console.DOCS_PORT + " --coordinator-timeout 1";
        String dot = "../docs/examples/global-dot.mlir";
        try (java.net.ServerSocket held = new java.net.ServerSocket()) {
            try {
                held.bind(new java.net.InetSocketAddress(Integer.parseInt(DocsRunner.Console.DOCS_PORT)));
            } catch (java.net.BindException alreadyHeld) {
                // another run holds it: the case this test is about
            }
            DocsRunner.Result r = new DocsRunner.Console(new DocsRunner.Job("t", "console", List.of(
                    "./hlo4j run ../docs/examples/global-dot-inputs.mlir -o /tmp/in",
                    "./hlo4j run " + dot + " --input /tmp/in/result0.npy --input /tmp/in/result1.npy" + job + " --process-id 0; echo \"exit $?\"",
                    "./hlo4j compile " + dot + job + " --process-id 1; echo \"exit $?\""), null, null), null).run();
            assertThat(r.problems()).allSatisfy(p -> assertThat(p).isEmpty());
            assertThat(r.outputs().get(1)).isEqualTo("hlo4j: process 0 of 2: process 1 did not join through coordinator localhost:29517 "
                    + "within 1000 ms (is every process of the job started, with the same coordinator?)\nexit 1\n");
            assertThat(r.outputs().get(2)).startsWith("hlo4j: process 1 of 2: cannot reach coordinator localhost:29517, which process 0 hosts")
                    .endsWith("to coordinator localhost:29517 failed: cannot connect within 1000 ms (Connection refused)\nexit 1\n");
        }
    }

    interface Body { void run(PrintWriter out) throws Exception; }

    private static String run(Body b) throws Exception {
        StringWriter w = new StringWriter();
        PrintWriter p = new PrintWriter(w, true);
        b.run(p);
        p.flush();
        return w.toString();
    }
}
