package dev.kiln.machine.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The machine types an installation offers, read from YAML (a file on a laptop, a ConfigMap on a cluster):
 * <pre>
 * machineTypes:
 *   - id: cpu-4
 *     displayName: CPU · 4 cores · 16 GB
 *     cpu: "4"
 *     memory: 16Gi
 *   - id: a100-80gb
 *     displayName: A100 80 GB
 *     cpu: "12"
 *     memory: 120Gi
 *     gpu: {count: 1, model: A100 80GB}
 *     nodeSelector: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}
 *     tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
 *     pricePerHour: 3.67
 * </pre>
 * Every mistake is reported with the type's id and the field, before any studio uses the catalog.
 */
public final class MachineCatalog {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final List<MachineType> types;

    private MachineCatalog(List<MachineType> types) {
        this.types = List.copyOf(types);
    }

    record File(List<MachineType> machineTypes) {}

    public static MachineCatalog of(List<MachineType> types) {
        validate(types, "the catalog");
        return new MachineCatalog(types);
    }

    public static MachineCatalog parse(String yaml, String source) {
        File file;
        try {
            file = YAML.readValue(yaml, File.class);
        } catch (JacksonException e) {
            throw new CatalogException(source + " is not a valid machine catalog: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (file == null || file.machineTypes() == null || file.machineTypes().isEmpty()) {
            throw new CatalogException(source + " lists no machineTypes");
        }
        validate(file.machineTypes(), source);
        return new MachineCatalog(file.machineTypes());
    }

    public static MachineCatalog load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new CatalogException("Cannot read the machine catalog " + file + ": " + e.getMessage());
        }
    }

    /** The catalog shipped with Kiln for clusters (CPU sizes and the common NVIDIA GPUs). */
    public static MachineCatalog defaults() {
        return resource("default-machine-catalog.yaml");
    }

    /** The catalog of the local backend (Kiln on one computer). */
    public static MachineCatalog localDefaults() {
        return resource("local-machine-catalog.yaml");
    }

    private static MachineCatalog resource(String name) {
        try (InputStream in = MachineCatalog.class.getResourceAsStream(name)) {
            return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void validate(List<MachineType> types, String source) {
        var ids = new HashSet<String>();
        for (int i = 0; i < types.size(); i++) {
            MachineType type = types.get(i);
            String where = source + ", machine type " + (type.id() == null ? "#" + (i + 1) : "'" + type.id() + "'");
            if (type.id() == null || !type.id().matches("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?")) {
                throw new CatalogException(where + ": id must be 1-32 lower-case letters, digits and dashes "
                        + "(it becomes part of Kubernetes names and labels)");
            }
            if (!ids.add(type.id())) {
                throw new CatalogException(where + ": the id is used twice");
            }
            if (type.displayName() == null || type.displayName().isBlank()) {
                throw new CatalogException(where + ": displayName is missing");
            }
            quantity(where, "cpu", type.cpu());
            quantity(where, "memory", type.memory());
            if (type.gpu() != null && type.gpu().count() < 0) {
                throw new CatalogException(where + ": gpu.count cannot be negative");
            }
            for (MachineType.Toleration toleration : type.tolerations()) {
                if (toleration.operator() != null && !toleration.operator().equals("Exists")
                        && !toleration.operator().equals("Equal")) {
                    throw new CatalogException(where + ": toleration operator must be Exists or Equal, got '"
                            + toleration.operator() + "'");
                }
            }
        }
    }

    private static void quantity(String where, String field, String value) {
        if (value == null || value.isBlank()) {
            throw new CatalogException(where + ": " + field + " is missing");
        }
        try {
            if (!ResourceQuantity.parse(value).positive()) {
                throw new CatalogException(where + ": " + field + " must be positive, got '" + value + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new CatalogException(where + ": " + field + " '" + value + "' is not a Kubernetes quantity "
                    + "(for example \"4\", \"500m\", \"16Gi\")");
        }
    }

    public List<MachineType> types() {
        return types;
    }

    public Optional<MachineType> find(String id) {
        return types.stream().filter(t -> t.id().equals(id)).findFirst();
    }

    /** The type, or an error that lists the known ones. */
    public MachineType require(String id) {
        return find(id).orElseThrow(() -> new CatalogException("Unknown machine type '" + id + "'. Known types: "
                + String.join(", ", types.stream().map(MachineType::id).toList())));
    }

    /** Types whose GPU need this host or cluster can meet at all ({@code maxGpus} per machine). */
    public List<MachineType> offerable(int maxGpus) {
        var offerable = new ArrayList<MachineType>();
        for (MachineType type : types) {
            if (type.gpuCount() <= maxGpus) {
                offerable.add(type);
            }
        }
        return offerable;
    }
}
