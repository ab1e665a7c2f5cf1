package dev.kiln.machine.catalog;

import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceQuantityTest {

    @Test
    void readsCoresAndBytesInBaseUnits() {
        assertThat(ResourceQuantity.parse("2").amount()).isEqualByComparingTo("2");
        assertThat(ResourceQuantity.parse("500m").amount()).isEqualByComparingTo("0.5");
        assertThat(ResourceQuantity.parse("1.5").amount()).isEqualByComparingTo("1.5");
        assertThat(ResourceQuantity.parse("16Gi").amount()).isEqualByComparingTo(BigDecimal.valueOf(16L << 30));
        assertThat(ResourceQuantity.parse("512Mi").amount()).isEqualByComparingTo(BigDecimal.valueOf(512L << 20));
        assertThat(ResourceQuantity.parse("2G").amount()).isEqualByComparingTo("2000000000");
        assertThat(ResourceQuantity.parse("1e3").amount()).isEqualByComparingTo("1000");
        assertThat(ResourceQuantity.parse("1E").amount()).isEqualByComparingTo("1000000000000000000");
        // fabric8 reads "1Ei" as an exponent and fails; Kubernetes means 2^60.
        assertThat(ResourceQuantity.parse("1Ei").amount()).isEqualByComparingTo(BigDecimal.valueOf(1L << 60));
        assertThat(ResourceQuantity.parse("16Gi")).hasToString("16Gi");
    }

    @Test
    void agreesWithTheKubernetesModelOnWhatTheCatalogWrites() {
        // The value type replaced fabric8's Quantity in the catalog and the local backend: same amounts.
        for (String text : List.of("1", "4", "0.5", "250m", "100m", "1Ki", "8Gi", "1.5Gi", "64Mi", "1Ti", "3k", "1M",
                "2G", "1e3", "5E2", "1n", "7u", "1P")) {
            assertThat(ResourceQuantity.parse(text).amount()).as(text)
                    .isEqualByComparingTo(Quantity.getAmountInBytes(new Quantity(text)));
        }
    }

    @Test
    void refusesWhatIsNotAQuantityWithAnExample() {
        for (String text : new String[] {"", "lots", "16GB", "16 Gi", "1.2.3", "Gi", "1K", "-"}) {
            assertThatThrownBy(() -> ResourceQuantity.parse(text)).as(text)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"500m\"");
        }
        assertThatThrownBy(() -> ResourceQuantity.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ResourceQuantity.parse("0").positive()).isFalse();
        assertThat(ResourceQuantity.parse("-1").positive()).isFalse();
        assertThat(ResourceQuantity.parse("1m").positive()).isTrue();
    }
}
