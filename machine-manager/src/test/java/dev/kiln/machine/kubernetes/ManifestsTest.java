package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.Serialization;

/** Every manifest under k8s/ parses with the fabric8 model, and the catalog ConfigMap is a valid catalog. */
class ManifestsTest {
    static final Path K8S = Path.of("..", "k8s");

    @Test
    void everyManifestParses() throws IOException {
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).toList()) {
                List<HasMetadata> objects = objects(file);
                assertThat(objects).as("%s", file).isNotEmpty().allSatisfy(o -> {
                    assertThat(o.getKind()).isNotBlank();
                    assertThat(o.getMetadata().getName()).isNotBlank();
                });
            }
        }
    }

    @Test
    void theKustomizationListsFilesThatExist() throws IOException {
        var kustomization = tools.jackson.dataformat.yaml.YAMLMapper.builder().build()
                .readTree(Files.readString(K8S.resolve("kustomization.yaml")));
        assertThat(kustomization.path("resources").size()).isGreaterThan(3);
        kustomization.path("resources").forEach(r -> assertThat(K8S.resolve(r.asString())).exists());
    }

    @Test
    void machinePodsReachTheServerDnsAndTheInternetButNoPrivateAddressOrTheMetadataService() throws IOException {
        var policy = (io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy) objects(
                K8S.resolve("network-policies.yaml")).stream().filter(o -> o.getMetadata().getName().equals("kiln-machines"))
                .findFirst().orElseThrow();
        var selected = policy.getSpec().getPodSelector().getMatchExpressions().getFirst();
        var spec = new StudioMachineSpec("s1", "kiln", "image", "http://kiln", "1Gi", null);
        assertThat(selected.getValues()).as("the labels the factories give machine and job pods").contains(
                StudioPodFactory.labels(spec, "machine").get(selected.getKey()), "kiln-job");
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).isEmpty();
        var internet = policy.getSpec().getEgress().stream().flatMap(e -> e.getTo().stream())
                .filter(to -> to.getIpBlock() != null && to.getIpBlock().getCidr().equals("0.0.0.0/0")).findFirst()
                .orElseThrow().getIpBlock();
        assertThat(internet.getExcept()).contains("169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16");
    }

    @Test
    void theServerMayManageMachinesButOnlyReadNodes() throws IOException {
        var objects = objects(K8S.resolve("rbac.yaml"));
        var role = (io.fabric8.kubernetes.api.model.rbac.Role) objects.stream()
                .filter(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.Role).findFirst().orElseThrow();
        assertThat(role.getRules()).anySatisfy(rule -> {
            assertThat(rule.getResources()).contains("pods", "persistentvolumeclaims", "configmaps");
            assertThat(rule.getVerbs()).contains("create", "patch", "delete", "watch");
        });
        var clusterRole = (io.fabric8.kubernetes.api.model.rbac.ClusterRole) objects.stream()
                .filter(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.ClusterRole).findFirst().orElseThrow();
        assertThat(clusterRole.getRules()).allSatisfy(rule -> assertThat(rule.getVerbs())
                .containsExactlyInAnyOrder("get", "list", "watch"));
    }

    @Test
    void theCatalogConfigMapIsAValidCatalogWithCpuT4A100AndH100() throws IOException {
        var configMap = (ConfigMap) objects(K8S.resolve("machine-catalog.yaml")).getFirst();
        var catalog = MachineCatalog.parse(configMap.getData().get("catalog.yaml"), "k8s/machine-catalog.yaml");
        assertThat(catalog.types()).extracting(t -> t.id()).contains("cpu-2", "t4", "a100-80gb", "h100");
    }

    private static List<HasMetadata> objects(Path file) throws IOException {
        Object parsed = Serialization.unmarshal(Files.readString(file));
        if (parsed instanceof KubernetesList list) {
            return list.getItems();
        }
        if (parsed instanceof List<?> list) {
            return list.stream().map(HasMetadata.class::cast).toList();
        }
        return List.of((HasMetadata) parsed);
    }
}
