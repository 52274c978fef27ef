package io.hlo4j.runtime.backend;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one parser of PJRT create options (the CLI's flags and HLO4J_PJRT_OPTIONS both go through it). */
class PjrtOptionsTest {
    @Test
    void valuesTakeTheirTypeFromTheirForm() {
        Map<String, Object> m = Backend.pjrtOptions(List.of("n=3", " f=0.5", "b=true", "s=cuda"));
        assertThat(m).containsExactly(Map.entry("n", 3L), Map.entry("f", 0.5), Map.entry("b", true), Map.entry("s", "cuda"));
    }

    @Test
    void malformedPairsAndRepeatedKeysAreRefusedByName() {
        assertThatThrownBy(() -> Backend.pjrtOptions(List.of("novalue")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("PJRT option 'novalue' is not KEY=VALUE");
        // a repeat used to keep the last value silently (HLO4J_PJRT_OPTIONS=a=1,a=2)
        assertThatThrownBy(() -> Backend.pjrtOptions(List.of("a=1", "b=2", "a=2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("PJRT option 'a=2' repeats the key of 'a=1'");
    }
}
