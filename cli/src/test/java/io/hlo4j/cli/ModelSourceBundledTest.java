package io.hlo4j.cli;

import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.examples.BundledModel;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.MixtralLm;
import io.hlo4j.examples.MlpRegression;
import io.hlo4j.examples.MoeRegression;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ModelSource#isBundled} trusts the {@link BundledModel} mark, not the class's package and loader: a user's class
 * in a package named {@code io.hlo4j.*} on hlo4j's own class path (this one) is the user's, its failures reported as
 * the user's ("threw", with its line); the bundled examples and dump's MoE layer are hlo4j's own and pass as they are.
 */
class ModelSourceBundledTest {
    /** A user's model in hlo4j's package, loaded by hlo4j's own loader: what the old rule took for a bundled model. */
    public static class Mine implements Example {
        @Override public String name() { return "mine"; }
        @Override public Object params() { throw new IllegalStateException("no params here"); }
        @Override public List<Object> batch() { return List.of(); }
        @Override public TracedFunction loss() { return a -> null; }
    }

    /** The same class marked as one of hlo4j's own. */
    public static final class MarkedMine extends Mine implements BundledModel { }

    @Test void aUserClassInHlo4jsPackageIsNotBundled() {
        Mine m = new Mine();
        assertThat(m.getClass().getName()).startsWith("io.hlo4j.");
        assertThat(m.getClass().getClassLoader()).isSameAs(Example.class.getClassLoader());
        assertThat(ModelSource.isBundled(m)).isFalse();
        // so its failure is the user's: a usage error naming the class, what it threw and its line
        assertThatThrownBy(() -> ModelSource.guard(m, "in params()", m::params))
                .isInstanceOf(Main.UsageError.class)
                .hasMessageStartingWith(Mine.class.getName() + " threw in params(): IllegalStateException: no params here (at ModelSourceBundledTest.java:");
    }

    @Test void markedModelsAreBundled() {
        for (Example e : List.<Example>of(new MlpRegression(), new MoeRegression(), new MixtralLm(),
                new DumpModel.MoeLayer(DumpCommand.DEFAULT_MOE, 2, 8), new MarkedMine())) {
            assertThat(ModelSource.isBundled(e)).as(e.getClass().getName()).isTrue();
        }
        // a bundled model's failure is hlo4j's own: it passes unwrapped
        MarkedMine b = new MarkedMine();
        assertThatThrownBy(() -> ModelSource.guard(b, "in params()", b::params))
                .isExactlyInstanceOf(IllegalStateException.class).hasMessage("no params here");
    }

    @Test void everyModelTheExamplesModuleBundlesIsMarked() {
        try (ModelSource s = ModelSource.open(null)) {
            assertThat(s.all()).isNotEmpty();
            s.all().forEach((name, e) -> assertThat(ModelSource.isBundled(e)).as(name).isTrue());
        }
    }
}
