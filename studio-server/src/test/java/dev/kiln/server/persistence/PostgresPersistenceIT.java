package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.sql.DriverManager;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** The same contract on a real PostgreSQL server that this test starts, configured the way KILN_DB_URL does. */
@SpringBootTest
class PostgresPersistenceIT extends PersistenceContract {

    static PostgresServer postgres;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) throws SQLException {
        ServerTestSupport.freshDataDirectory(registry);
        postgres = PostgresServer.start();
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), "")) {
            connection.createStatement().execute("create database kiln");
        }
        registry.add("spring.datasource.url", () -> postgres.jdbcUrl("kiln"));
        registry.add("spring.datasource.username", postgres::user);
        registry.add("spring.datasource.password", () -> "");
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Autowired
    DataSource dataSource;

    @Test
    void reallyRunsOnPostgres() throws SQLException {
        try (var connection = dataSource.getConnection()) {
            assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo("PostgreSQL");
        }
    }
}
