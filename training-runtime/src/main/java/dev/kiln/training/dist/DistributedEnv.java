package dev.kiln.training.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.kiln.training.ConfigurationException;

/**
 * Where this process sits in a distributed job, read from the variables torchrun sets ({@code MASTER_ADDR},
 * {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code RANK}, {@code LOCAL_RANK}, {@code NODE_RANK},
 * {@code LOCAL_WORLD_SIZE}), so Kubernetes launchers, torchrun-style scripts and {@code kiln-train launch} all work.
 */
public record DistributedEnv(String masterAddr, int masterPort, int worldSize, int rank, int localRank,
                             int nodeRank, int localWorldSize) {

    public static final List<String> REQUIRED = List.of("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK");

    public static DistributedEnv single() {
        return new DistributedEnv(null, 0, 1, 0, 0, 0, 1);
    }

    /** True when the environment names a distributed job (WORLD_SIZE set). */
    public static boolean present(Map<String, String> env) {
        return env.containsKey("WORLD_SIZE");
    }

    /** Missing rendezvous variables, for an error that lists them. */
    public static List<String> missing(Map<String, String> env) {
        var missing = new ArrayList<String>();
        for (String name : REQUIRED) {
            if (env.get(name) == null || env.get(name).isBlank()) {
                missing.add(name);
            }
        }
        return missing;
    }

    public static DistributedEnv from(Map<String, String> env) {
        var missing = missing(env);
        if (!missing.isEmpty()) {
            throw new ConfigurationException("Distributed training needs " + String.join(", ", REQUIRED)
                    + " (missing: " + String.join(", ", missing) + "). Start it with `kiln-train launch "
                    + "--nproc-per-node N ...`, torchrun-style launchers, or a Kiln multi-node job, which set them.");
        }
        int worldSize = number(env, "WORLD_SIZE", 1);
        int rank = number(env, "RANK", 0);
        int localRank = env.containsKey("LOCAL_RANK") ? number(env, "LOCAL_RANK", 0) : rank;
        int localWorldSize = env.containsKey("LOCAL_WORLD_SIZE") ? number(env, "LOCAL_WORLD_SIZE", 1) : worldSize;
        int nodeRank = env.containsKey("NODE_RANK") ? number(env, "NODE_RANK", 0) : rank / Math.max(1, localWorldSize);
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new ConfigurationException("RANK=" + rank + " is outside WORLD_SIZE=" + worldSize
                    + ": ranks run from 0 to WORLD_SIZE-1");
        }
        if (localRank < 0 || localRank >= localWorldSize) {
            throw new ConfigurationException("LOCAL_RANK=" + localRank + " is outside LOCAL_WORLD_SIZE=" + localWorldSize);
        }
        int port = number(env, "MASTER_PORT", 0);
        if (port <= 0 || port > 65535) {
            throw new ConfigurationException("MASTER_PORT=" + env.get("MASTER_PORT") + " is not a TCP port");
        }
        return new DistributedEnv(env.get("MASTER_ADDR"), port, worldSize, rank, localRank, nodeRank, localWorldSize);
    }

    private static int number(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name + "=" + value + " is not a whole number");
        }
    }
}
