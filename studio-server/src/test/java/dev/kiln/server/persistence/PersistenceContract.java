package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.server.studio.StudioService;
import dev.kiln.api.studio.StudioException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Kiln stores, checked the same way on every database it supports: the migrations run, users keep only a
 * password hash, and studios survive create, list, rename and delete with their timestamps.
 */
abstract class PersistenceContract {

    @Autowired
    JdbcClient jdbc;
    @Autowired
    UserAccounts accounts;
    @Autowired
    StudioService studios;

    @AfterEach
    void signOut() {
        ServerTestSupport.signOut();
    }

    @Test
    void migrationsRanAndCreatedTheFirstAdmin() {
        var versions = jdbc.sql("select \"version\" from \"flyway_schema_history\" where \"success\" = true order by \"installed_rank\"")
                .query(String.class).list();
        assertThat(versions).contains("1");
        assertThat(accounts.find("admin")).isPresent();
    }

    @Test
    void onlyAPasswordHashIsStored() {
        var user = ServerTestSupport.newUser(accounts, "Grace");
        var stored = jdbc.sql("select password_hash from kiln_user where username = :u").param("u", user.getUsername())
                .query(String.class).single();
        assertThat(stored).startsWith("{bcrypt}$2").doesNotContain("password-" + user.getUsername());
        assertThatThrownBy(() -> accounts.create(user.getUsername(), "another-password", "Dup", false))
                .isInstanceOf(org.springframework.dao.DuplicateKeyException.class);
    }

    @Test
    void studiosRoundTripThroughTheDatabase() {
        var user = ServerTestSupport.newUser(accounts, "Hedy");
        ServerTestSupport.signIn(user);
        var before = Instant.now().minusSeconds(5);

        var studio = studios.create("Ünïcode studio ✓");
        studios.create("Second");
        assertThat(studios.myStudios()).extracting(s -> s.name()).containsExactlyInAnyOrder("Ünïcode studio ✓", "Second");
        assertThat(studio.ownerName()).isEqualTo("Hedy");
        assertThat(studio.createdAt()).isBetween(before, Instant.now().plus(Duration.ofSeconds(5)));

        var renamed = studios.rename(studio.id(), "Renamed");
        assertThat(renamed.name()).isEqualTo("Renamed");
        assertThat(renamed.updatedAt()).isAfterOrEqualTo(studio.updatedAt());

        studios.delete(studio.id());
        assertThat(studios.myStudios()).extracting(s -> s.name()).containsExactly("Second");
        assertThatThrownBy(() -> studios.open(studio.id()))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(StudioException.Kind.NOT_FOUND));
    }
}
