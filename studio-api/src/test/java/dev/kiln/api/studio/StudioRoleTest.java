package dev.kiln.api.studio;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StudioRoleTest {

    @Test
    void rolesByTheirIdsWithWhatTheyMayDo() {
        assertThat(StudioRole.of("owner")).isEqualTo(StudioRole.OWNER);
        assertThat(StudioRole.of("viewer").mayEdit()).isFalse();
        assertThat(StudioRole.of("editor").mayEdit()).isTrue();
        assertThatThrownBy(() -> StudioRole.of("admin")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new StudioMember("Ada", "editor").roleLabel()).isEqualTo("Can edit");
        assertThat(new StudioMember("Ada", "viewer").roleLabel()).isEqualTo("View only");
        assertThat(new StudioSummary("s", "n", "o", null, null, "viewer").canEdit()).isFalse();
        assertThat(new StudioSummary("s", "n", "o", null, null, "owner").isOwner()).isTrue();
    }

    @Test
    void aLinkNeverLowersARole() {
        assertThat(invitation("viewer", null).effect()).isEqualTo(ShareInvitation.Effect.JOIN);
        assertThat(invitation("editor", "viewer").effect()).isEqualTo(ShareInvitation.Effect.UPGRADE);
        assertThat(invitation("editor", "editor").effect()).isEqualTo(ShareInvitation.Effect.SAME);
        assertThat(invitation("viewer", "editor").effect()).isEqualTo(ShareInvitation.Effect.KEEPS_HIGHER);
        assertThat(invitation("editor", "owner").effect()).isEqualTo(ShareInvitation.Effect.OWNER);
        assertThat(List.of(invitation("viewer", null), invitation("editor", "viewer")))
                .allMatch(ShareInvitation::joinChangesSomething);
    }

    private static ShareInvitation invitation(String linkRole, String currentRole) {
        return new ShareInvitation("s", "Studio", "Ada", linkRole, Instant.EPOCH, currentRole);
    }
}
