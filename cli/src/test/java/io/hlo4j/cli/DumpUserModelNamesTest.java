package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.hlo4j.cli.DumpUserModelErrorsTest.dumpHelp;
import static io.hlo4j.cli.DumpUserModelErrorsTest.model;
import static io.hlo4j.cli.DumpUserModelErrorsTest.refused;
import static io.hlo4j.cli.DumpUserModelErrorsTest.runHelp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A name means one model, in {@code dump} and {@code examples} alike: a user's model named like one of {@code dump}'s
 * own ({@code moe}, {@code mlp}) or like a bundled example is refused by name, as two user models of one name are; and a
 * model's name, the user's included, means the model rather than a module file of that name.
 */
class DumpUserModelNamesTest {

    private static Path jarOf(Path dir, String cls, String name) throws Exception {
        Path classes = UserModels.compileSource(dir.resolve(cls), cls, model(cls, name, DumpUserModelErrorsTest.LOSS));
        return UserModels.jar(classes, dir.resolve(cls + ".jar"), "com.example." + cls);
    }

    @Test void aUserModelMayNotTakeABuiltInName(@TempDir Path dir) throws Exception {
        String moe = jarOf(dir, "Moe", "moe").toString();
        String clash = "com.example.Moe.name() is 'moe', the name of hlo4j's built-in model: give yours another name";
        refused(Cli.run("dump", "--classpath", moe), dumpHelp(clash));                       // not listed twice
        refused(Cli.run("dump", "moe", "--classpath", moe), dumpHelp(clash));
        refused(Cli.run("examples", "list", "--classpath", moe), "hlo4j examples list: " + clash + " (see 'hlo4j examples list --help')");
        refused(Cli.run("examples", "run", "moe", "--classpath", moe), runHelp(clash));

        // mlp: dump's other name of mlp-regression; before, dump dumped the bundled one while examples ran the user's
        String mlp = jarOf(dir, "Mlp", "mlp").toString();
        String mlpClash = "com.example.Mlp.name() is 'mlp', the name of hlo4j's built-in model: give yours another name";
        refused(Cli.run("dump", "mlp", "--classpath", mlp), dumpHelp(mlpClash));
        refused(Cli.run("examples", "run", "mlp", "--classpath", mlp), runHelp(mlpClash));

        // a bundled example's name: two models of one name
        String twin = jarOf(dir, "Twin", "mlp-regression").toString();
        String two = "two models are named 'mlp-regression': io.hlo4j.examples.MlpRegression and com.example.Twin";
        refused(Cli.run("dump", "mlp-regression", "--classpath", twin), dumpHelp(two));
        refused(Cli.run("examples", "run", "mlp-regression", "--classpath", twin), runHelp(two));
    }

    /** The rule: a model's name (ours, or one on --classpath) is the model; else a path ending in .mlir or an existing file is a module. */
    @Test void aUserModelsNameIsTheModelNotAFile(@TempDir Path dir) throws Exception {
        Path jar = jarOf(dir, "Dotted", "dotted.mlir");
        Cli.Run byName = Cli.run("dump", "dotted.mlir", "--classpath", jar.toString());
        assertThat(byName.code()).as(byName.toString()).isZero();
        assertThat(DumpCommandTest.mainArgs(byName.out())).containsExactly("tensor<2xf32>", "tensor<2xf32>");
        Cli.Run byClass = Cli.run("dump", "--class", "com.example.Dotted", "--classpath", jar.toString());
        assertThat(byName.out()).isEqualTo(byClass.out());
        // without the jar no model has that name: it is a module file, and there is none
        Cli.Run file = Cli.run("dump", "dotted.mlir");
        assertThat(file.code()).as(file.toString()).isEqualTo(1);
        assertThat(file.err()).startsWith("hlo4j: dotted.mlir: ");
    }
}
