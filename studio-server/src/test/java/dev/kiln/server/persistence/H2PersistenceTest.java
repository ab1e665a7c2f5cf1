package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** H2, the embedded database of older Kilns, still usable through KILN_DB_URL (its own V1, the shared migrations). */
@SpringBootTest
class H2PersistenceTest extends PersistenceContract {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:file:${kiln.data-dir}/db/kiln");
    }
}
