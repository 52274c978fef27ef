package io.hlo4j.cli;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.VerificationException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The one-line messages, independent of the parser. */
class DiagnosticsTest {
    private final Path file = Path.of("dir/m.mlir");

    @Test void parseErrorsKeepTheirOwnPosition() {
        var e = new ParseException("expected ':'", "dir/m.mlir", 3, 18);
        assertThat(Diagnostics.describe(file, e)).isEqualTo("dir/m.mlir:3:18: expected ':'");
    }

    @Test void verifierErrorsNameTheOp() {
        var e = new VerificationException("stablehlo.add", "requires the same shape", new Location.FileLineCol("m.mlir", 7, 5));
        assertThat(Diagnostics.describe(file, e)).isEqualTo("m.mlir:7:5: 'stablehlo.add' op requires the same shape");
    }

    @Test void aLocationAlsoWrittenIntoTheMessageIsSaidOnce() {
        var loc = new Location.FileLineCol("Model.java", 42, 0);
        var e = new io.hlo4j.dsl.DslException("matmul", "contracting dims differ: 3 vs 4", loc);
        assertThat(e.getMessage()).isEqualTo("matmul: contracting dims differ: 3 vs 4 (at Model.java:42:0)");
        // the location is a field, not part of the message: the CLI puts it first from the fields
        assertThat(e.detail()).isEqualTo("matmul: contracting dims differ: 3 vs 4");
        assertThat(e.location()).isEqualTo(loc);
        assertThat(e.op()).isEqualTo("matmul");
        assertThat(e.format()).isEqualTo("Model.java:42:0: matmul: contracting dims differ: 3 vs 4");
        assertThat(Diagnostics.describe(file, e)).isEqualTo("Model.java:42:0: matmul: contracting dims differ: 3 vs 4");
        // a message that itself ends in "(at ...)" text is printed as it is: nothing is parsed out of it
        var odd = new io.hlo4j.dsl.DslException("reshape", "sizes differ (at the batch dimension)", loc);
        assertThat(Diagnostics.describe(file, odd)).isEqualTo("Model.java:42:0: reshape: sizes differ (at the batch dimension)");
    }

    @Test void aMoeErrorAtTheUsersLineIsSaidOnceToo() {
        var loc = new Location.FileLineCol("Layer.java", 7, 0);
        var e = new io.hlo4j.dsl.moe.MoeException("num_experts_per_tok 5 > num_experts 4", loc);
        assertThat(e.getMessage()).isEqualTo("num_experts_per_tok 5 > num_experts 4 (at Layer.java:7:0)");
        assertThat(e.detail()).isEqualTo("num_experts_per_tok 5 > num_experts 4");
        assertThat(Diagnostics.describe(file, e)).isEqualTo("Layer.java:7:0: num_experts_per_tok 5 > num_experts 4");
        var unlocated = new io.hlo4j.dsl.moe.MoeException("moe config: top_k must be positive");
        assertThat(unlocated.getMessage()).isEqualTo("moe config: top_k must be positive");
        assertThat(Diagnostics.describe(file, unlocated)).isEqualTo("dir/m.mlir: moe config: top_k must be positive");
    }

    @Test void errorsWithoutLocationGetTheFileName() {
        var e = new Hlo4jException("no @main", Location.UNKNOWN);
        assertThat(Diagnostics.describe(file, e)).isEqualTo("dir/m.mlir: no @main");
    }

    @Test void missingFile() {
        assertThat(Diagnostics.describe(file, new NoSuchFileException("dir/m.mlir"))).isEqualTo("dir/m.mlir: no such file");
    }

    @Test void bugsAreCalledInternalAndPointAtVerbose() {
        StringWriter w = new StringWriter();
        Diagnostics.report(new PrintWriter(w), file, new IllegalStateException("boom"), false);
        assertThat(w.toString()).isEqualTo(
                "hlo4j: dir/m.mlir: internal error: java.lang.IllegalStateException: boom (rerun with --verbose for the stack trace)\n");
    }

    @Test void missingFeaturesAreSaidSoAndPointAtVerbose() {
        StringWriter w = new StringWriter();
        Diagnostics.report(new PrintWriter(w), file, new UnsupportedOperationException("element type f4E2M1FN"), false);
        assertThat(w.toString()).isEqualTo(
                "hlo4j: dir/m.mlir: not implemented yet: element type f4E2M1FN (rerun with --verbose for the stack trace)\n");
    }

    @Test void refusedArgumentsAreTheMessageAlone() {
        StringWriter w = new StringWriter();
        Diagnostics.report(new PrintWriter(w), null, new IllegalArgumentException("@main takes 2 arguments; got 1"), false);
        assertThat(w.toString()).isEqualTo("hlo4j: @main takes 2 arguments; got 1\n");
    }

    @Test void multiLineMessagesAreCut() {
        var e = new Hlo4jException("first\nsecond", new Location.FileLineCol("m.mlir", 1, 2));
        assertThat(Diagnostics.describe(null, e)).isEqualTo("m.mlir:1:2: first ...");
    }

    @Test void stackOverflowIsExplained() {
        assertThat(Diagnostics.describe(file, new StackOverflowError()))
                .isEqualTo("dir/m.mlir: nested too deeply for the thread stack (raise -Xss in HLO4J_JAVA_OPTS)");
    }

    @Test void fileSystemExceptionsWithoutAReasonAreWorded() {
        // The JDK's own message for these is the bare path.
        assertThat(Diagnostics.describe(null, new java.nio.file.FileAlreadyExistsException("out/x"))).isEqualTo("out/x: already exists");
        assertThat(Diagnostics.describe(null, new java.nio.file.DirectoryNotEmptyException("out"))).isEqualTo("out: is a directory that is not empty");
        assertThat(Diagnostics.describe(null, new java.nio.file.NotDirectoryException("out"))).isEqualTo("out: is not a directory");
        assertThat(Diagnostics.describe(null, new java.nio.file.FileSystemException("out"))).isEqualTo("out: cannot be used (FileSystemException)");
        assertThat(Diagnostics.describe(null, new NoSuchFileException("p.so", null, "no such file (--pjrt-plugin)")))
                .isEqualTo("p.so: no such file (--pjrt-plugin)");
    }

    /** A file error's path with a newline or an escape (ESC) stays one printable line: control characters escaped. */
    @Test void controlCharactersInAFileErrorAreEscaped() {
        StringWriter w = new StringWriter();
        Diagnostics.report(new PrintWriter(w), null, new NoSuchFileException("/tmp/new\nline\u001b[31m.mlir"), false);
        assertThat(w.toString()).isEqualTo("hlo4j: /tmp/new\\u000aline\\u001b[31m.mlir: no such file\n");
    }
}
