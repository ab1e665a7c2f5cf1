package dev.kiln.training.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ThreadsTest {
    @Test
    void aLoneProcessLeavesOneCoreToTheJvm() {
        assertThat(Threads.choose(0, Map.of(), 2, 1).intraOp()).isEqualTo(1);
        assertThat(Threads.choose(0, Map.of(), 16, 1).intraOp()).isEqualTo(15);
        assertThat(Threads.choose(0, Map.of(), 1, 1).intraOp()).isEqualTo(1);
    }

    @Test
    void processesOnOneMachineShareItsCores() {
        assertThat(Threads.choose(0, Map.of(), 16, 8).intraOp()).isEqualTo(2);
        assertThat(Threads.choose(0, Map.of(), 2, 2).intraOp()).isEqualTo(1);
    }

    @Test
    void openBlasAlwaysGetsOneThreadAndOverridesWin() {
        assertThat(Threads.choose(0, Map.of(), 8, 1).openblas()).isEqualTo(1);
        assertThat(Threads.choose(3, Map.of("KILN_NUM_THREADS", "5"), 8, 1).intraOp()).isEqualTo(3);
        var fromEnv = Threads.choose(0, Map.of("KILN_NUM_THREADS", "5", "OMP_NUM_THREADS", "2"), 8, 1);
        assertThat(fromEnv.intraOp()).isEqualTo(5);
        assertThat(fromEnv.describe(8, 1)).contains("5 intra-op threads, OpenBLAS 1").contains("set by KILN_NUM_THREADS");
        assertThat(Threads.choose(0, Map.of("OMP_NUM_THREADS", "2"), 8, 1).intraOp()).isEqualTo(2);
        assertThat(Threads.choose(0, Map.of("KILN_NUM_THREADS", "lots"), 8, 1).intraOp()).isEqualTo(7);
    }
}
