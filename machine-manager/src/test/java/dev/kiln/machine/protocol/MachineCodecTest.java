package dev.kiln.machine.protocol;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each message as it travels (the wire of PROTOCOL.md), both ways, and what bad input gets. */
class MachineCodecTest {

    @Test
    void theServersMessagesOnTheWire() {
        assertWire(new ToMachine.Sync(), "{\"type\":\"sync\"}");
        assertWire(new ToMachine.Stop(), "{\"type\":\"stop\"}");
        assertWire(new ToMachine.Exec("c1", List.of("sh", "-c", "ls"), "workspace", Map.of("A", "1")),
                "{\"type\":\"exec\",\"id\":\"c1\",\"command\":[\"sh\",\"-c\",\"ls\"],\"cwd\":\"workspace\",\"env\":{\"A\":\"1\"}}");
        assertWire(new ToMachine.JobStart("j1", "example.SumRegression", List.of("--trainer.max-epochs=2"), 1, 2,
                Map.of(), true, JsonMapper.shared().readTree("{\"connections\":[]}")),
                "{\"type\":\"job.start\",\"id\":\"j1\",\"entryPoint\":\"example.SumRegression\",\"args\":"
                        + "[\"--trainer.max-epochs=2\"],\"nodes\":1,\"devices\":2,\"env\":{},\"resume\":true,"
                        + "\"connections\":{\"connections\":[]}}");
        assertWire(new ToMachine.Cancel("j1", 5_000L), "{\"type\":\"cancel\",\"id\":\"j1\",\"graceMillis\":5000}");
        assertWire(new ToMachine.Download("t1", "http://s/x", "data/x.csv", 12L),
                "{\"type\":\"download\",\"id\":\"t1\",\"url\":\"http://s/x\",\"target\":\"data/x.csv\",\"size\":12}");
        assertWire(new ToMachine.JobLog("r1", "j1"), "{\"type\":\"job.log\",\"requestId\":\"r1\",\"job\":\"j1\"}");
        assertWire(new ToMachine.PtyOpen("1", 100, 30), "{\"type\":\"pty.open\",\"id\":\"1\",\"cols\":100,\"rows\":30}");
        assertWire(new ToMachine.PtyInput("1", "ls\r"), "{\"type\":\"pty.input\",\"id\":\"1\",\"data\":\"ls\\r\"}");
        assertWire(new ToMachine.PtyResize("1", 90, 20), "{\"type\":\"pty.resize\",\"id\":\"1\",\"cols\":90,\"rows\":20}");
        assertWire(new ToMachine.PtyClose("1"), "{\"type\":\"pty.close\",\"id\":\"1\"}");
    }

    @Test
    void theMachinesMessagesOnTheWire() {
        assertWire(new FromMachine.Hello("s1", "local-1", 3, 2, 7), "{\"type\":\"hello\",\"studio\":\"s1\","
                + "\"machineType\":\"local-1\",\"generation\":3,\"cpus\":2,\"pid\":7}");
        // The jobs an agent knows travel in its hello, so a restarted server follows them again.
        assertWire(new FromMachine.Hello("s1", "cpu-2", 3, 2, 7, List.of(
                        new FromMachine.JobReport("j1", FromMachine.JobReport.RUNNING, null, null, null),
                        new FromMachine.JobReport("j2", FromMachine.JobReport.ENDED, 1, "rank 1 crashed", null))),
                "{\"type\":\"hello\",\"studio\":\"s1\",\"machineType\":\"cpu-2\",\"generation\":3,\"cpus\":2,"
                + "\"pid\":7,\"jobs\":[{\"id\":\"j1\",\"state\":\"running\"},{\"id\":\"j2\",\"state\":\"ended\","
                + "\"code\":1,\"error\":\"rank 1 crashed\"}]}");
        assertWire(new FromMachine.Synced("abc", null, null, 12), "{\"type\":\"synced\",\"commit\":\"abc\",\"millis\":12}");
        assertWire(new FromMachine.Output("c1", "stderr", "oops\n"),
                "{\"type\":\"output\",\"id\":\"c1\",\"stream\":\"stderr\",\"data\":\"oops\\n\"}");
        assertWire(new FromMachine.Exit("c1", 3, null, null, null), "{\"type\":\"exit\",\"id\":\"c1\",\"code\":3}");
        assertWire(new FromMachine.Exit("j1", 143, null, 10L, true),
                "{\"type\":\"exit\",\"id\":\"j1\",\"code\":143,\"droppedChars\":10,\"interrupted\":true}");
        assertWire(new FromMachine.JobDiagnostics("j1", List.of(new FromMachine.Diagnostic("error", "src/A.java", 3, 7,
                "';' expected"))), "{\"type\":\"job.diagnostics\",\"id\":\"j1\",\"items\":[{\"severity\":\"error\","
                + "\"path\":\"src/A.java\",\"line\":3,\"column\":7,\"message\":\"';' expected\"}]}");
        assertWire(new FromMachine.JobLogPart("r1", 0, "line\n", false, null),
                "{\"type\":\"job.log.part\",\"requestId\":\"r1\",\"index\":0,\"data\":\"line\\n\",\"last\":false}");
        assertWire(new FromMachine.JobLogPart("r1", 3, null, true, "no such job on this machine"),
                "{\"type\":\"job.log.part\",\"requestId\":\"r1\",\"index\":3,\"last\":true,"
                + "\"error\":\"no such job on this machine\"}");
        assertWire(new FromMachine.PtyExit("1", 0, null), "{\"type\":\"pty.exit\",\"id\":\"1\",\"code\":0}");
        var health = new FromMachine.Health("2026-12-01T10:00:00Z", 1, 0.5, 0.25, 100L, 50L, null, null,
                List.of(new FromMachine.Gpu(0, "T4", 0.5, 1, 2, 60, 70)), 0);
        assertThat(MachineCodec.fromMachine(MachineCodec.encode(health))).isEqualTo(health);
    }

    @Test
    void theFileMessagesOnTheWire() {
        assertWire(new ToMachine.FsWatch(10_485_760), "{\"type\":\"fs.watch\",\"maxFileBytes\":10485760}");
        assertWire(new ToMachine.FsApplied("README.md", "aa", "bb", null),
                "{\"type\":\"fs.applied\",\"path\":\"README.md\",\"blob\":\"aa\",\"result\":\"bb\"}");
        assertWire(new ToMachine.FsList("l1", "data", true, 500),
                "{\"type\":\"fs.list\",\"id\":\"l1\",\"path\":\"data\",\"recursive\":true,\"max\":500}");
        assertThat(MachineCodec.toMachine("{\"type\":\"fs.list\",\"id\":\"l\",\"path\":\"\"}"))
                .isEqualTo(new ToMachine.FsList("l", "", false, 2000));
        assertWire(new ToMachine.FsRead("r1", "data/x.csv", 0, 65536),
                "{\"type\":\"fs.read\",\"id\":\"r1\",\"path\":\"data/x.csv\",\"offset\":0,\"length\":65536}");
        assertWire(new ToMachine.FsSend("s1", "jobs/j1/checkpoints", "/agent-files/t", "zip", null),
                "{\"type\":\"fs.send\",\"id\":\"s1\",\"path\":\"jobs/j1/checkpoints\",\"url\":\"/agent-files/t\","
                        + "\"format\":\"zip\"}");
        assertWire(new ToMachine.FsReceive("u1", "data/big.bin", "/agent-files/t", 5, true),
                "{\"type\":\"fs.receive\",\"id\":\"u1\",\"path\":\"data/big.bin\",\"url\":\"/agent-files/t\","
                        + "\"size\":5,\"overwrite\":true}");
        assertWire(new ToMachine.FsDelete("d1", "data/x"), "{\"type\":\"fs.delete\",\"id\":\"d1\",\"path\":\"data/x\"}");
        assertWire(new ToMachine.FsRename("m1", "a", "b"), "{\"type\":\"fs.rename\",\"id\":\"m1\",\"from\":\"a\",\"to\":\"b\"}");
        assertWire(new ToMachine.FsMkdir("k1", "data/new"), "{\"type\":\"fs.mkdir\",\"id\":\"k1\",\"path\":\"data/new\"}");

        assertWire(new FromMachine.FsChanges(List.of(new FromMachine.FsChange("a.txt", null, "bb", 2, "aGk="),
                        new FromMachine.FsChange("b.txt", "cc", null, 0, null))),
                "{\"type\":\"fs.changes\",\"changes\":[{\"path\":\"a.txt\",\"blob\":\"bb\",\"size\":2,\"data\":\"aGk=\"},"
                        + "{\"path\":\"b.txt\",\"base\":\"cc\",\"size\":0}]}");
        assertWire(new FromMachine.FsEvents(List.of("", "data")), "{\"type\":\"fs.events\",\"dirs\":[\"\",\"data\"]}");
        assertWire(new FromMachine.FsListing("l1", "data", List.of(new FromMachine.FsEntry("data/x.csv", false, 12, 99,
                        null, null), new FromMachine.FsEntry("data/out", true, 0, 98, true, true)), false, null, null),
                "{\"type\":\"fs.listing\",\"id\":\"l1\",\"path\":\"data\",\"entries\":[{\"path\":\"data/x.csv\","
                        + "\"dir\":false,\"size\":12,\"modified\":99},{\"path\":\"data/out\",\"dir\":true,\"size\":0,"
                        + "\"modified\":98,\"link\":true,\"ignored\":true}],\"truncated\":false}");
        assertWire(new FromMachine.FsData("r1", 100, 5, "AAE=", null, null),
                "{\"type\":\"fs.data\",\"id\":\"r1\",\"size\":100,\"modified\":5,\"data\":\"AAE=\"}");
        assertWire(new FromMachine.FsDone("u1", null, "The machine's disk is full", "TOO_LARGE"),
                "{\"type\":\"fs.done\",\"id\":\"u1\",\"error\":\"The machine's disk is full\",\"kind\":\"TOO_LARGE\"}");
    }

    @Test
    void absentOptionalFieldsTakeTheirDefaultsAndUnknownFieldsAreIgnored() {
        assertThat(MachineCodec.toMachine("{\"type\":\"pty.open\",\"id\":\"1\"}"))
                .isEqualTo(new ToMachine.PtyOpen("1", 80, 24));
        assertThat(MachineCodec.toMachine("{\"type\":\"cancel\",\"id\":\"j\",\"later\":true}"))
                .isEqualTo(new ToMachine.Cancel("j", 10_000L));
        assertThat(MachineCodec.toMachine("{\"type\":\"job.start\",\"id\":\"j\",\"entryPoint\":\"A\"}"))
                .isEqualTo(new ToMachine.JobStart("j", "A", List.of(), 1, 1, Map.of(), false, null));
    }

    @Test
    void badInputIsAProtocolErrorThatSaysWhat() {
        assertThatThrownBy(() -> MachineCodec.toMachine("{\"type\":\"format-disk\"}"))
                .isInstanceOf(MachineCodec.ProtocolException.class).hasMessageContaining("format-disk");
        assertThatThrownBy(() -> MachineCodec.fromMachine("not json"))
                .isInstanceOf(MachineCodec.ProtocolException.class);
        assertThatThrownBy(() -> MachineCodec.fromMachine("{\"id\":\"x\"}"))
                .isInstanceOf(MachineCodec.ProtocolException.class).hasMessageContaining("type");
        assertThatThrownBy(() -> MachineCodec.fromMachine("{\"type\":\"machine.lost\",\"generation\":1}"))
                .isInstanceOf(MachineCodec.ProtocolException.class).hasMessageContaining("server's own");
        assertThatThrownBy(() -> MachineCodec.fromMachine("{\"type\":\"exit\",\"id\":\"x\",\"code\":\"soon\"}"))
                .isInstanceOf(MachineCodec.ProtocolException.class);
    }

    private static void assertWire(ToMachine message, String json) {
        assertThat(JsonMapper.shared().readTree(MachineCodec.encode(message)))
                .isEqualTo(JsonMapper.shared().readTree(json));
        assertThat(MachineCodec.toMachine(json)).isEqualTo(message);
    }

    private static void assertWire(FromMachine message, String json) {
        assertThat(JsonMapper.shared().readTree(MachineCodec.encode(message)))
                .isEqualTo(JsonMapper.shared().readTree(json));
        assertThat(MachineCodec.fromMachine(json)).isEqualTo(message);
    }
}
