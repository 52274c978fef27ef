package io.hlo4j.compiler.ad.fuzz;

import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Program;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.CaseSeeds;
import io.hlo4j.mlir.verify.ModuleVerifier;
import org.junit.jupiter.api.Test;

import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The minimiser keeps a program's failure (here: it holds a dot_general) while it drops what the failure does not need.
 * The programs are those drawn before {@link GradFamilies} (weights NONE): the cases this test was written against (a
 * later draw can hold its dot_general only in a dead statement, which no shrink keeps).
 */
class GradMinimiserTest {
    @Test
    void keepsWhatFailsAndDropsTheRest() {
        Predicate<Program> fails = p -> p.text().contains("stablehlo.dot_general");
        int tried = 0;
        for (int i = 0; i < 200 && tried < 5; i++) {
            Program p = GradProgramGen.generate(CaseSeeds.of(20261130L, i), GradFamilies.Weights.NONE);
            if (!fails.test(p) || p.body().size() < 4) continue;
            tried++;
            Program small = GradMinimiser.minimise(p, fails);
            assertThat(fails.test(small)).as("case %d still fails", i).isTrue();
            assertThat(small.body().size()).as("case %d: statements", i).isLessThan(p.body().size());
            ModuleVerifier.verify(MlirParser.parseModule(small.text(), "case" + i + ".mlir"));
        }
        assertThat(tried).as("programs with a dot_general among the first 200").isEqualTo(5);
    }
}
