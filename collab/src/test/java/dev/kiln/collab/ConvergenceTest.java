package dev.kiln.collab;

import dev.kiln.collab.DocumentAuthority.PullResult;
import dev.kiln.collab.DocumentAuthority.PushResult;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Simulated clients type and delete at random over a simulated network that delays, reorders and drops messages
 * and disconnects clients; after the network heals every client must hold exactly the server's text. Pushes based on
 * old versions are rebased by the authority (most pushes here are), clients see the updates in batches of any size,
 * and a client sometimes sends its pending changes again. Each run prints its seed; set -Dkiln.seed=N to replay one.
 */
class ConvergenceTest {

    private static final String ALPHABET = "abcdefgh \nxyz";
    static final List<String> LOG = new ArrayList<>();
    static final java.util.concurrent.atomic.AtomicInteger REBASED = new java.util.concurrent.atomic.AtomicInteger();

    @org.junit.jupiter.api.AfterAll
    static void mostPushesWereRebased() {
        assertThat(REBASED.get()).as("pushes the authority rebased over others' updates").isGreaterThan(100);
    }

    @TestFactory
    Stream<DynamicTest> clientsAlwaysConverge() {
        var fixed = System.getProperty("kiln.seed");
        long base = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        int runs = fixed != null ? 1 : 40;
        return LongStream.range(0, runs).mapToObj(i -> base + i)
                .map(seed -> DynamicTest.dynamicTest("seed " + seed, () -> run(seed)));
    }

    /** A message in flight: delivered at {@code at}, unless its client went offline after sending it (responses). */
    private record Delivery(long at, int order, Runnable action) {
    }

    private static final class Peer {
        final CollabClient client;
        boolean online = true;
        boolean pushing;
        int session;

        Peer(CollabClient client) {
            this.client = client;
        }
    }

    private void run(long seed) {
        var random = new Random(seed);
        LOG.clear();
        try {
            simulate(random);
        } catch (AssertionError | RuntimeException e) {
            LOG.subList(0, Math.max(0, LOG.size() - 40)).clear();
            LOG.forEach(System.out::println);
            throw new AssertionError("Convergence failed for seed " + seed + " (replay with -Dkiln.seed=" + seed + ")", e);
        }
    }

    private void simulate(Random random) {
        var retained = random.nextBoolean() ? 10_000 : 3 + random.nextInt(10);
        var authority = DocumentAuthority.open(new InMemoryDocumentStore(),
                new DocumentAuthority.Limits(1000, 100_000, retained, 7), Clock.systemUTC(), "start\n", "b");
        var peers = new ArrayList<Peer>();
        for (int i = 2 + random.nextInt(5); i > 0; i--) {
            peers.add(new Peer(new CollabClient("client-" + i, "start\n", 0)));
        }
        var network = new ArrayList<Delivery>();
        int[] order = {0};

        for (long tick = 0; tick < 600; tick++) {
            var peer = peers.get(random.nextInt(peers.size()));
            switch (random.nextInt(10)) {
                case 0, 1, 2, 3 -> peer.client.edit(randomEdit(random, peer.client.doc()));
                case 4, 5 -> push(peer, authority, network, tick, random, order);
                case 6, 7 -> pull(peer, authority, network, tick, random, order);
                case 8 -> {
                    if (random.nextInt(4) == 0) {
                        peer.online = !peer.online;
                        peer.session++;
                        peer.pushing = false;
                    }
                }
                default -> {
                }
            }
            deliverDue(network, tick, random);
            for (var p : peers) {
                p.client.checkConsistent();
            }
        }
        deliverDue(network, Long.MAX_VALUE, random);

        for (var peer : peers) {
            peer.online = true;
            peer.pushing = false;
        }
        for (int round = 0; round < 50 && !converged(peers, authority); round++) {
            for (var peer : peers) {
                syncNow(peer, authority);
            }
        }
        for (var peer : peers) {
            assertThat(peer.client.unconfirmedCount()).as(peer.client.clientId() + " pending").isZero();
            assertThat(peer.client.doc()).as(peer.client.clientId()).isEqualTo(authority.text());
        }
    }

    private static boolean converged(List<Peer> peers, DocumentAuthority authority) {
        return peers.stream().allMatch(p -> p.client.unconfirmedCount() == 0 && p.client.version() == authority.version());
    }

    private static void syncNow(Peer peer, DocumentAuthority authority) {
        if (peer.client.unconfirmedCount() > 0) {
            authority.push(peer.client.version(), peer.client.sendable());
        }
        receive(peer.client, authority.pull(peer.client.version(), peer.client.clientId()));
    }

    private static void receive(CollabClient client, PullResult result) {
        switch (result) {
            case PullResult.Updates u -> {
                if (u.fromVersion() == client.version()) {
                    LOG.add(client.clientId() + " receive from " + u.fromVersion() + " " + u.updates().stream().map(x -> x.clientId() + x.changes()).toList() + " pending " + client.unconfirmedCount());
                    client.receive(u.updates());
                    client.checkConsistent();
                }
            }
            case PullResult.Resync r -> {
                LOG.add(client.clientId() + " resync v" + r.version() + " accepted " + r.yourAccepted() + " at v" + client.version());
                client.resync(r.text(), r.version(), r.yourAccepted());
            }
        }
    }

    private static void push(Peer peer, DocumentAuthority authority, List<Delivery> network, long tick, Random random, int[] order) {
        if (!peer.online || peer.pushing || peer.client.unconfirmedCount() == 0) {
            return;
        }
        peer.pushing = true;
        int version = peer.client.version();
        var updates = peer.client.sendable();
        int session = peer.session;
        network.add(new Delivery(tick + random.nextInt(20), order[0]++, () -> {
            PushResult result = authority.push(version, updates);
            LOG.add(peer.client.clientId() + " push@" + version + " " + updates.stream().map(x -> x.changes().toString()).toList() + " -> " + result);
            assertThat(result).isNotInstanceOf(PushResult.Refused.class);
            if (result instanceof PushResult.Accepted a && a.rebased()) {
                REBASED.incrementAndGet();
            }
            network.add(new Delivery(tick + random.nextInt(40), order[0]++, () -> {
                if (peer.session == session) {
                    peer.pushing = false;
                }
            }));
        }));
    }

    private static void pull(Peer peer, DocumentAuthority authority, List<Delivery> network, long tick, Random random, int[] order) {
        if (!peer.online) {
            return;
        }
        int version = peer.client.version();
        int session = peer.session;
        network.add(new Delivery(tick + random.nextInt(20), order[0]++, () -> {
            var pulled = authority.pull(version, peer.client.clientId());
            // A client may see only part of what was accepted (a batch cut short, more on its way).
            var result = pulled instanceof PullResult.Updates u && !u.updates().isEmpty() && random.nextInt(3) == 0
                    ? new PullResult.Updates(u.fromVersion(), u.updates().subList(0, 1 + random.nextInt(u.updates().size())))
                    : pulled;
            network.add(new Delivery(tick + random.nextInt(40), order[0]++, () -> {
                if (peer.session == session && peer.online) {
                    receive(peer.client, result);
                }
            }));
        }));
    }

    /** Delivers every message due by {@code now}, in random order (the network reorders). */
    private static void deliverDue(List<Delivery> network, long now, Random random) {
        while (true) {
            var due = network.stream().filter(d -> d.at() <= now).sorted(Comparator.comparingInt(Delivery::order)).toList();
            if (due.isEmpty()) {
                return;
            }
            var next = due.get(random.nextInt(due.size()));
            network.remove(next);
            next.action().run();
        }
    }

    private static ChangeSet randomEdit(Random random, String doc) {
        int from = random.nextInt(doc.length() + 1);
        int to = Math.min(doc.length(), from + (random.nextInt(3) == 0 ? random.nextInt(5) : 0));
        var insert = new StringBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
            insert.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return ChangeSet.replace(doc.length(), from, to, insert.toString());
    }
}
