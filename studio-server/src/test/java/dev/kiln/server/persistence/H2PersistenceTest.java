package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The embedded default: an H2 file database under the data directory. */
@SpringBootTest
class H2PersistenceTest extends PersistenceContract {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }
}
