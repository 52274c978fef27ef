package io.hlo4j.cli.docs;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the examples of README.md and every page under docs/ (the rules are in docs/writing-docs.md): one test
 * per block that runs ({@code console}, {@code java}), is a complete {@code mlir} module (parsed and verified) or
 * names a file ({@code file=PATH}), and one per unlabelled block, which fails. What is only shown is counted in the summary this test prints, so nothing is
 * skipped silently.
 */
class DocsExamplesTest {

    @TestFactory
    List<DynamicNode> docs() throws Exception {
        DocsPlan plan = DocsPlan.get();
        printSummary(plan);
        List<DynamicNode> pages = new ArrayList<>();
        if (plan.runnerFailure != null) {
            pages.add(DynamicTest.dynamicTest("the examples' JVM", () -> fail(plan.runnerFailure)));
        }
        plan.pages.forEach((page, items) -> {
            List<DynamicNode> tests = new ArrayList<>();
            for (DocsPlan.Item it : items) {
                String name = it.block().where() + " " + it.block().lang();
                switch (it.kind()) {
                    case CONSOLE -> tests.add(DynamicTest.dynamicTest(name, () -> checkConsole(plan, it)));
                    case JAVA -> tests.add(DynamicTest.dynamicTest(name, () -> checkJava(plan, it)));
                    case MLIR -> tests.add(DynamicTest.dynamicTest(name, () -> checkMlir(it.block())));
                    case BROKEN -> tests.add(DynamicTest.dynamicTest(name, () -> fail(it.problem())));
                    default -> { }
                }
                if (it.block().file() != null) {
                    tests.add(DynamicTest.dynamicTest(name + " file=" + it.block().file(), () -> checkFile(plan.root, it.block())));
                }
            }
            if (!tests.isEmpty()) pages.add(DynamicContainer.dynamicContainer(page, tests));
        });
        return pages;
    }

    private static void checkConsole(DocsPlan plan, DocsPlan.Item it) {
        DocsRunner.Result r = result(plan, it);
        List<String> failures = new ArrayList<>();
        List<ConsoleScript.Step> steps = it.script().steps();
        for (int i = 0; i < steps.size(); i++) {
            ConsoleScript.Step s = steps.get(i);
            String head = it.block().page() + ":" + s.line() + ": $ " + s.command() + "\n";
            if (i >= r.outputs().size()) { failures.add(head + "  did not run (the examples' JVM stopped)"); continue; }
            for (String p : r.problems().get(i)) failures.add(head + "  " + p);
            String diff = OutputMatch.compare(s.expected(), r.outputs().get(i));
            if (diff != null) failures.add(head + "  " + diff.replace("\n", "\n  ") + "\n  whole output:\n" + OutputMatch.show(r.outputs().get(i)));
        }
        if (!failures.isEmpty()) fail(String.join("\n\n", failures));
    }

    private static void checkJava(DocsPlan plan, DocsPlan.Item it) {
        String err = plan.compileErrors.get(it.block());
        if (err != null) fail(it.block().where() + ": does not compile:\n" + err);
        DocsRunner.Result r = result(plan, it);
        List<String> failures = new ArrayList<>();
        for (String p : r.problems().get(0)) failures.add(it.block().where() + ": " + p);
        if (it.output() != null) {
            String diff = OutputMatch.compare(it.output().content(), r.outputs().get(0));
            if (diff != null) {
                failures.add(it.output().where() + ": the output of the example at line " + it.block().line() + " differs: "
                        + diff + "\n  whole output:\n" + OutputMatch.show(r.outputs().get(0)));
            }
        }
        if (!failures.isEmpty()) fail(String.join("\n\n", failures));
    }

    private static void checkMlir(MarkdownBlocks.Block b) {
        String problem = DocsPlan.mlirProblem(b);
        if (problem != null) fail(problem);
    }

    private static DocsRunner.Result result(DocsPlan plan, DocsPlan.Item it) {
        DocsRunner.Result r = plan.results.get(it.block().where());
        if (r == null) fail(it.block().where() + ": not run" + (plan.runnerFailure != null ? ": " + plan.runnerFailure : ""));
        return r;
    }

    /** A block shown as the contents of a repository file must be that file, so the examples run what the page shows. */
    private static void checkFile(Path root, MarkdownBlocks.Block b) throws Exception {
        Path f = root.resolve(b.file());
        if (!Files.isRegularFile(f)) fail(b.where() + ": file=" + b.file() + " does not exist");
        List<String> want = OutputMatch.normaliseSpaces(Files.readAllLines(f)), shown = OutputMatch.normaliseSpaces(b.content());
        if (!want.equals(shown)) {
            for (int i = 0; i < Math.max(want.size(), shown.size()); i++) {
                String w = i < want.size() ? want.get(i) : "(end of file)", s = i < shown.size() ? shown.get(i) : "(end of block)";
                if (!w.equals(s)) fail(b.page() + ":" + b.lineOf(i) + ": the block differs from " + b.file() + " line " + (i + 1)
                        + "\n  file:  " + w + "\n  block: " + s);
            }
        }
    }

    private static void printSummary(DocsPlan plan) {
        StringBuilder sb = new StringBuilder("docs examples (compile " + plan.compileMillis + " ms, run " + plan.runMillis + " ms):\n");
        plan.pages.forEach((page, items) -> {
            Map<DocsPlan.Kind, Integer> n = new EnumMap<>(DocsPlan.Kind.class);
            Map<String, Integer> shown = new TreeMap<>();
            int commands = 0;
            for (DocsPlan.Item it : items) {
                n.merge(it.kind(), 1, Integer::sum);
                if (it.kind() == DocsPlan.Kind.SHOWN || it.kind() == DocsPlan.Kind.NO_RUN) {
                    String label = it.block().lang() + (it.kind() == DocsPlan.Kind.NO_RUN ? " no-run" : it.block().lang().equals("mlir") ? " excerpt" : "");
                    shown.merge(label, 1, Integer::sum);
                }
                if (it.script() != null) commands += it.script().steps().size();
            }
            sb.append(String.format("  %-28s console %d (%d commands), java %d, mlir verified %d, not run %d %s, unlabelled or broken %d%n", page,
                    n.getOrDefault(DocsPlan.Kind.CONSOLE, 0), commands, n.getOrDefault(DocsPlan.Kind.JAVA, 0), n.getOrDefault(DocsPlan.Kind.MLIR, 0),
                    shown.values().stream().mapToInt(Integer::intValue).sum(), shown, n.getOrDefault(DocsPlan.Kind.BROKEN, 0)));
        });
        sb.append("  slowest: ").append(String.join(", ", plan.results.values().stream()
                .sorted((a, b) -> Long.compare(b.millis(), a.millis())).limit(5)
                .map(r -> r.id() + " " + r.millis() + " ms").toList())).append('\n');
        System.out.print(sb);
    }
}
