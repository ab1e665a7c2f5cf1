package dev.kiln.collab;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The real automerge-paper trace (259,778 single-character edits) through the authority, durably, and back. */
class TraceReplayTest {

    static EditingTrace trace;

    @BeforeAll
    static void readTrace() {
        var file = EditingTrace.locate("automerge-paper.json.gz");
        if (file.isEmpty()) {
            var reason = "shared/data/editing-traces/automerge-paper.json.gz not found beside the checkout";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(reason);
            }
            Assumptions.abort(reason);
        }
        trace = EditingTrace.read(file.get());
    }

    @Test
    void theTraceIsWhatItsReadmeSays() {
        assertThat(trace.patches()).hasSize(259_778);
        assertThat(trace.replayWithStringBuilder()).isEqualTo(trace.endContent());
    }

    @Test
    void replayedThroughTheAuthorityWithDurabilityTheTextEqualsTheTracesEnd(@TempDir Path dir) {
        var limits = new DocumentAuthority.Limits(1 << 20, 16 << 20, 20_000, 50_000);
        var authority = DocumentAuthority.open(new FileDocumentStore(dir), limits, Clock.systemUTC(), trace.startContent(), null);
        var batch = new ArrayList<Update>();
        int length = trace.startContent().length();
        // A fast typist's client sends what piled up while the previous push was in flight: batches of 256 here.
        for (var patch : trace.patches()) {
            var change = ChangeSet.replace(length, patch.pos(), patch.pos() + patch.delete(), patch.insert());
            batch.add(new Update(change, "typist"));
            length = change.newLength();
            if (batch.size() == 256) {
                push(authority, batch);
            }
        }
        push(authority, batch);

        assertThat(authority.version()).isEqualTo(259_778);
        assertThat(authority.text()).isEqualTo(trace.endContent());
        // Nothing acknowledged is lost: reopening from disk (no close) gives the same text.
        var reopened = DocumentAuthority.open(new FileDocumentStore(dir), limits, Clock.systemUTC(), "", null);
        assertThat(reopened.text()).isEqualTo(trace.endContent());
        assertThat(reopened.version()).isEqualTo(259_778);
    }

    private static void push(DocumentAuthority authority, List<Update> batch) {
        if (batch.isEmpty()) {
            return;
        }
        var result = authority.push(authority.version(), List.copyOf(batch));
        assertThat(result).isInstanceOf(DocumentAuthority.PushResult.Accepted.class);
        batch.clear();
    }
}
