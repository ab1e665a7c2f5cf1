package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.server.studio.SharingService;
import dev.kiln.server.studio.StudioService;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A data directory from a Kiln that kept its data in H2 (migrations up to V5, a user, a studio, a share link): the
 * first start on SQLite moves it all over, and keeps the H2 file aside as kiln.mv.db.imported.
 */
@SpringBootTest
class LegacyH2ImportTest {

    static Path dataDir;
    static final Instant CREATED = Instant.parse("2026-11-01T08:30:00.123456Z");

    @DynamicPropertySource
    static void olderDataDirectory(DynamicPropertyRegistry registry) throws Exception {
        dataDir = Files.createTempDirectory("kiln-h2-import-");
        var url = "jdbc:h2:file:" + dataDir.resolve("db/kiln");
        Flyway.configure().dataSource(url, "sa", "").locations("classpath:db/migration", "classpath:db/vendor/h2").target("5")
                .load().migrate();
        try (var h2 = DriverManager.getConnection(url, "sa", ""); var statement = h2.createStatement()) {
            var at = OffsetDateTime.ofInstant(CREATED, ZoneOffset.UTC);
            var insert = h2.prepareStatement("insert into kiln_user (username, display_name, password_hash, is_admin, created_at) values (?, ?, ?, ?, ?)");
            insert.setString(1, "grace");
            insert.setString(2, "Grace Hopper");
            insert.setString(3, "{noop}not-used");
            insert.setBoolean(4, true);
            insert.setObject(5, at);
            insert.executeUpdate();
            var studio = h2.prepareStatement("insert into studio (id, owner_id, name, created_at, updated_at) "
                    + "values ('s-1', (select id from kiln_user where username = 'grace'), 'Compilers', ?, ?)");
            studio.setObject(1, at);
            studio.setObject(2, at);
            studio.executeUpdate();
            var link = h2.prepareStatement("insert into share_link (token, studio_id, role, created_by, created_at, expires_at) "
                    + "values ('tok-1', 's-1', 'editor', (select id from kiln_user where username = 'grace'), ?, ?)");
            link.setObject(1, at);
            link.setObject(2, at.plusYears(10));
            link.executeUpdate();
            statement.execute("shutdown");
        }
        registry.add("kiln.data-dir", dataDir::toString);
        registry.add("kiln.admin-password", () -> "admin-password-for-tests");
    }

    @Autowired
    UserAccounts accounts;
    @Autowired
    StudioService studios;
    @Autowired
    SharingService sharing;

    @AfterEach
    void signOut() {
        ServerTestSupport.signOut();
    }

    @Test
    void everythingFromH2IsInSqliteAndTheH2FileIsKeptAside() throws IOException {
        assertThat(dataDir.resolve("db/kiln.sqlite")).exists();
        assertThat(dataDir.resolve("db/kiln.mv.db")).doesNotExist();
        assertThat(dataDir.resolve("db/kiln.mv.db.imported")).exists();

        var grace = accounts.find("grace").orElseThrow();
        assertThat(grace.displayName()).isEqualTo("Grace Hopper");
        // The imported admin is the only account: no second "admin" was made for an empty database.
        assertThat(accounts.count()).isEqualTo(1);
        ServerTestSupport.signIn(grace);
        var studio = studios.open("s-1");
        assertThat(studio.name()).isEqualTo("Compilers");
        assertThat(studio.createdAt()).isEqualTo(CREATED);
        var links = sharing.links("s-1");
        assertThat(links).singleElement().satisfies(l -> {
            assertThat(l.token()).isEqualTo("tok-1");
            assertThat(l.expiresAt()).isAfter(Instant.now());
        });
    }
}
