package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuerySlotsTest {
    @Test
    void eachStudioAndTheWholeServerHaveTheirLimit() {
        var slots = new QuerySlots(2, 3);
        slots.acquire("a");
        slots.acquire("a");
        assertThatThrownBy(() -> slots.acquire("a")).isInstanceOf(QuerySlots.TooMany.class)
                .hasMessageContaining("Too many queries running: this studio has 2 open (at most 2");
        slots.acquire("b");
        assertThatThrownBy(() -> slots.acquire("c")).isInstanceOf(QuerySlots.TooMany.class)
                .hasMessageContaining("on this Kiln (3; kiln.data.sql.max-total)");
        slots.release("a");
        slots.acquire("c");
        assertThat(slots.inUse()).isEqualTo(3);
        assertThat(slots.inUse("a")).isEqualTo(1);
        slots.release("a");
        slots.release("a"); // once too often: never below zero
        assertThat(slots.inUse("a")).isZero();
        assertThat(slots.inUse()).isEqualTo(2);
    }
}
