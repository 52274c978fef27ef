package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.assertSameStructure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conformance files that use the check, interpreter, chlo or sdy dialects, through the project's real
 * parser and printer. testdata's *_chlo files were written by stablehlo-opt, so each chlo line must print
 * back exactly (up to whitespace). The hand-written interpret/ files are not in printed form, so for them
 * every op of these dialects must verify and print -> parse -> print must be a fixpoint that keeps each op.
 */
class DialectFilesRoundTripTest {
    static final Set<String> DIALECTS = Set.of("check", "interpreter", "chlo", "sdy");

    static String printAll(List<Module> modules) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < modules.size(); i++) {
            if (i > 0) sb.append("// -----\n");
            sb.append(MlirPrinter.print(modules.get(i)));
        }
        return sb.toString();
    }

    static List<Operation> ours(List<Module> modules) {
        List<Operation> out = new ArrayList<>();
        for (Module m : modules) Walker.walk(m.op(), o -> { if (DIALECTS.contains(o.dialect())) out.add(o); });
        return out;
    }

    static String squashLine(String l) {
        return l.replaceAll("//.*$", "").replaceAll("\\s+", " ").trim();
    }

    @Test
    void chloLinesOfTestdataPrintBackExactly() throws IOException {
        int files = 0, lines = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : ConformanceFiles.files("testdata")) {
            String text = Files.readString(f);
            if (!text.contains("chlo.")) continue;
            files++;
            List<String> printed = printAll(MlirParser.parseSplit(text, f.toString())).lines().map(DialectFilesRoundTripTest::squashLine).toList();
            for (String l : text.lines().toList()) {
                if (!l.contains("chlo.") || l.trim().startsWith("//")) continue;
                lines++;
                if (!printed.contains(squashLine(l))) failures.add(f.getFileName() + ": " + l.trim());
            }
        }
        System.out.println("chlo lines of testdata printed back exactly: " + (lines - failures.size()) + " / " + lines + " in " + files + " files");
        assertThat(failures).as("chlo lines not printed back").isEmpty();
        assertThat(files).isGreaterThanOrEqualTo(50);
        assertThat(lines).isEqualTo(60);
    }

    @Test
    void interpretFilesVerifyAndReachAPrintFixpoint() throws IOException {
        int files = 0, ops = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : ConformanceFiles.files("interpret")) {
            String text = Files.readString(f);
            if (!(text.contains("check.") || text.contains("interpreter.") || text.contains("chlo.") || text.contains("sdy."))) continue;
            files++;
            try {
                List<Module> first = MlirParser.parseSplit(text, f.toString());
                List<Operation> mine = ours(first);
                for (Operation op : mine) op.def().verifier().verify(op);
                String p1 = printAll(first);
                List<Module> second = MlirParser.parseSplit(p1, f + " (printed)");
                String p2 = printAll(second);
                assertThat(p2).as("fixpoint").isEqualTo(p1);
                List<Operation> again = ours(second);
                assertThat(again).hasSameSizeAs(mine);
                for (int i = 0; i < mine.size(); i++) assertSameStructure(mine.get(i), again.get(i));
                ops += mine.size();
            } catch (AssertionError | RuntimeException e) {
                failures.add(f.getFileName() + ": " + e.getMessage().lines().limit(3).reduce("", (a, b) -> a + " " + b));
            }
        }
        System.out.println("interpret files with check/interpreter/chlo/sdy ops: " + (files - failures.size()) + " / " + files
                + " verify and reach a print fixpoint; " + ops + " ops of these dialects");
        assertThat(failures).as("interpret files").isEmpty();
        assertThat(files).isGreaterThanOrEqualTo(100);
        assertThat(ops).isGreaterThan(600);
    }
}
