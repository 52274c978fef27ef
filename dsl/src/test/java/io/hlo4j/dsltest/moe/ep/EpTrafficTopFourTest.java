package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.moe.MoeConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

/** {@link EpTrafficTest} for E = 8, k = 4: more rows per token, so dispatch costs more and the all-gathering modes gain. */
class EpTrafficTopFourTest {
    static final List<String> TABLE = EpTrafficTest.header();

    @Test
    void topFour() throws Exception {
        EpTrafficTest.table(EpCase.random(MoeConfig.of(8, 4, 64, 32), 4, 16, false, 22), TABLE);
        EpTrafficTest.assertRowsInDoc(TABLE, "docs/moe-expert-parallelism.md");
    }

    @AfterAll
    static void writeTable() throws Exception { EpTrafficTest.write(TABLE, "ep-bytes-k4.md"); }
}
