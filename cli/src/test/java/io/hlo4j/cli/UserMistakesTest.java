package io.hlo4j.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mistakes a new user makes first (docs/getting-started.md walked as written): a mistyped option or example name,
 * a run without its inputs. Each is one line that says what to type instead, with the exit code of its kind.
 */
class UserMistakesTest {
    private static final String ADD = java.nio.file.Path.of("..", "docs", "examples", "add.mlir").toString();

    @Test void aMistypedOptionGetsTheNearestOptionOfItsCommand() {
        Cli.Run r = Cli.run("dump", "moe", "--emit", "explicit", "--meshh", "ep=2");
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hlo4j dump: Unknown options: '--meshh', 'ep=2'; did you mean --mesh? (see 'hlo4j dump --help')\n");

        Cli.Run swapped = Cli.run("examples", "run", "mlp-regression", "--stpes=1");   // two letters swapped: one edit
        assertThat(swapped.code()).as(swapped.toString()).isEqualTo(Main.USAGE);
        assertThat(swapped.err()).isEqualTo("hlo4j examples run: Unknown option: '--stpes=1'; did you mean --steps? (see 'hlo4j examples run --help')\n");
    }

    @Test void anOptionNothingLikeAnyGetsNoGuess() {
        Cli.Run r = Cli.run("print", "--bogus", ADD);
        assertThat(r.err()).isEqualTo("hlo4j print: Unknown option: '--bogus' (see 'hlo4j print --help')\n");
        Cli.Run entry = Cli.run("run", ADD, "--entry", "foo");   // JAX's word; run's is --function
        assertThat(entry.err()).isEqualTo("hlo4j run: Unknown options: '--entry', 'foo' (see 'hlo4j run --help')\n");
    }

    /** Two edits turn "step" into "seq": a name under five letters gets a guess only one edit away. */
    @Test void aShortNameGetsAGuessOnlyOneEditAway() {
        Cli.Run step = Cli.run("dump", "moe", "--step", "3");
        assertThat(step.code()).as(step.toString()).isEqualTo(Main.USAGE);
        assertThat(step.err()).isEqualTo("hlo4j dump: Unknown options: '--step', '3' (see 'hlo4j dump --help')\n");
        assertThat(NearestNames.among(java.util.List.of("--seq", "--mesh"), "--step")).isEmpty();
        assertThat(NearestNames.among(java.util.List.of("--seq", "--mesh"), "--sep")).containsExactly("--seq");
        assertThat(NearestNames.among(java.util.List.of("--steps", "--seq"), "--stpe")).containsExactly("--steps");   // 5 letters: 2 edits
    }

    @Test void theFirstMistypedOptionGetsAGuessAfterAnExtraArgumentAndNegatedNamesAreGuessedToo() {
        Cli.Run extra = Cli.run("run", ADD, "extra.mlir", "--spdm");
        assertThat(extra.code()).as(extra.toString()).isEqualTo(Main.USAGE);
        assertThat(extra.err()).isEqualTo("hlo4j run: Unmatched arguments from index 2: 'extra.mlir', '--spdm'; did you mean --spmd?"
                + " (see 'hlo4j run --help')\n");
        Cli.Run negated = Cli.run("print", ADD, "--no-locatons");
        assertThat(negated.code()).as(negated.toString()).isEqualTo(Main.USAGE);
        assertThat(negated.err()).isEqualTo("hlo4j print: Unknown option: '--no-locatons'; did you mean --no-locations? (see 'hlo4j print --help')\n");
    }

    @Test void aMistypedModelGetsTheNearestModel() {
        Cli.Run r = Cli.run("dump", "moee");
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.USAGE);
        assertThat(r.err()).isEqualTo("hlo4j dump: unknown model 'moee'; did you mean moe? (expected one of moe, mlp, mlp-regression,"
                + " moe-regression, mixtral-lm) (see 'hlo4j dump --help')\n");
        Cli.Run far = Cli.run("dump", "mixtral");   // three edits from mixtral-lm, itself past two
        assertThat(far.err()).isEqualTo("hlo4j dump: unknown model 'mixtral' (expected one of moe, mlp, mlp-regression,"
                + " moe-regression, mixtral-lm) (see 'hlo4j dump --help')\n");
    }

    @Test void editDistanceCountsASwapOfNeighboursAsOneEdit() {
        assertThat(NearestNames.distance("--meshh", "--mesh")).isEqualTo(1);
        assertThat(NearestNames.distance("--stpes", "--steps")).isEqualTo(1);
        assertThat(NearestNames.distance("moe-regresion", "moe-regression")).isEqualTo(1);
        assertThat(NearestNames.distance("moe-regresion", "mlp-regression")).isEqualTo(3);
        assertThat(NearestNames.distance("", "abc")).isEqualTo(3);
    }

    @Test void aMistypedExampleIsAUsageErrorWithTheNearestName() {
        Cli.Run r = Cli.run("examples", "run", "moe-regresion");
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.USAGE);
        assertThat(r.err()).isEqualTo("hlo4j examples run: no example 'moe-regresion'; did you mean moe-regression?"
                + " (known: mlp-regression, moe-regression, mixtral-lm) (see 'hlo4j examples run --help')\n");
        Cli.Run negative = Cli.run("examples", "run", "mlp-regression", "--steps", "-1");
        assertThat(negative.code()).isEqualTo(Main.USAGE);
        assertThat(negative.err()).isEqualTo("hlo4j examples run: --steps must be >= 0, got -1 (see 'hlo4j examples run --help')\n");
    }

    /** --spmd runs @main on its mesh's devices: --devices or another --function beside it conflict, before the file is read. */
    @Test void spmdWithDevicesOrAnotherFunctionIsAUsageError() {
        Cli.Run devices = Cli.run("run", "missing.mlir", "--spmd", "--devices", "8");
        assertThat(devices.code()).as(devices.toString()).isEqualTo(Main.USAGE);
        assertThat(devices.err()).isEqualTo("hlo4j run: --spmd takes the device count from the module's mesh; drop --devices 8 (see 'hlo4j run --help')\n");
        Cli.Run function = Cli.run("run", "missing.mlir", "--spmd", "--function", "f");
        assertThat(function.code()).as(function.toString()).isEqualTo(Main.USAGE);
        assertThat(function.err()).isEqualTo("hlo4j run: --spmd partitions @main; drop --function f (see 'hlo4j run --help')\n");
    }

    /** A manual computation implies --spmd: --devices beside it is the same usage error, worded for what the user gave. */
    @Test void aManualComputationWithDevicesIsAUsageErrorThatNamesTheImpliedPartitionedRun() {
        String file = java.nio.file.Path.of("..", "docs", "examples", "partial-manual.mlir").toString();
        Cli.Run r = Cli.run("run", file, "--devices", "2");
        assertThat(r.code()).as(r.toString()).isEqualTo(Main.USAGE);
        assertThat(r.err()).isEqualTo("hlo4j run: " + file + ": a module holding sdy.manual_computation runs partitioned (as with --spmd)"
                + " on as many devices as its mesh has; drop --devices 2 (see 'hlo4j run --help')\n");
    }

    @Test void aRunOnSeveralDevicesWithTheWrongInputCountSaysBothForms() {
        Cli.Run r = Cli.run("run", ADD, "--devices", "3");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + ADD + ": @main takes 2 arguments; got 0 --input files for 3 devices: give 2 (one per"
                + " argument, in order; every device gets them) or 3 x 2 = 6, dealt device by device (device 0's 2 first), as one"
                + " --input FILE.npy each or --input DIR of numbered .npy files (arg0.npy, arg1.npy, ...)\n");
    }

    @Test void theCollectiveCountIsSingularForOne() {
        assertThat(CollectivesReport.count(0)).isEqualTo("0 collectives");
        assertThat(CollectivesReport.count(1)).isEqualTo("1 collective");
        assertThat(CollectivesReport.count(2)).isEqualTo("2 collectives");
    }

    @Test void aRunWithoutItsInputsNamesTheFileAndSaysWhatToGive() {
        Cli.Run r = Cli.run("run", ADD);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hlo4j: " + ADD + ": @main takes 2 arguments; got 0 --input files: give one --input FILE.npy"
                + " per argument, in order, or --input DIR of numbered .npy files (arg0.npy, arg1.npy, ...)\n");
    }
}
