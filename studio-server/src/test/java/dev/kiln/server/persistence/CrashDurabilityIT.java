package dev.kiln.server.persistence;

import dev.kiln.collab.ChangeSet;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.KilnServerProcess;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.collab.CollabSocketClient;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill -9 of the server while people work, 20 times over: writers create studios, share links, data connections and
 * jobs, save files through the API and type into a live document; at a random moment the server gets SIGKILL. After
 * every restart, before anyone reconnects, every write that was answered 2xx is there: in the database, in the
 * files the REST API serves, and in the studio's git repository (the live document's acknowledged text included).
 * Writes that were in flight when the server died may or may not have landed; nothing else may be missing.
 * The seed is printed; replay with {@code -Dkiln.seed=N}. {@code -Dkiln.crash.rounds=N} runs fewer rounds,
 * {@code -Dkiln.crash.db-url=...} tries another embedded database URL ({@code {data-dir}} stands for the data directory).
 */
class CrashDurabilityIT {

    static final int ROUNDS = Integer.getInteger("kiln.crash.rounds", 20);

    /** What the server answered 2xx to, and what was still in flight when it died. */
    static final class Ledger {
        final Map<String, String> studios = new ConcurrentHashMap<>();
        final Map<String, Set<String>> links = new ConcurrentHashMap<>();
        final Map<String, Set<String>> connections = new ConcurrentHashMap<>();
        final Set<String> jobs = ConcurrentHashMap.newKeySet();
        /** Per saved file: the last text answered 200, and the text of a save that got no answer. */
        final Map<String, String[]> saves = new ConcurrentHashMap<>();
        volatile String typedText = "";

        List<String> studioIds() {
            return List.copyOf(studios.keySet());
        }
    }

    final Ledger ledger = new Ledger();
    volatile String lastJobRefusal = "";
    final List<Throwable> writerFailures = new CopyOnWriteArrayList<>();

    @Test
    void everyWriteAnswered2xxSurvivesKill9() throws Exception {
        long seed = Long.getLong("kiln.seed", System.nanoTime());
        System.out.println("CrashDurabilityIT seed " + seed + " (replay with -Dkiln.seed=" + seed + ")");
        var random = new Random(seed);
        var dataDir = KilnServerProcess.freshDataDir("kiln-kill9-");
        var environment = new HashMap<String, String>();
        var dbUrl = System.getProperty("kiln.crash.db-url");
        if (dbUrl != null) {
            environment.put("KILN_DB_URL", dbUrl.replace("{data-dir}", dataDir.toString()));
        }
        try (var kiln = new KilnServerProcess(dataDir, environment)) {
            kiln.start();
            var session = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            var home = session.postJson("/api/studios", "{\"name\":\"Home\"}").get("id").asString();
            ledger.studios.put(home, "Home");
            // Jobs run in a studio of their own: a machine re-syncs after every commit, and refuses jobs meanwhile.
            var lab = session.postJson("/api/studios", "{\"name\":\"Lab\"}").get("id").asString();
            ledger.studios.put(lab, "Lab");
            session.startMachine(lab, "local-1");
            int jobsBefore = 0;
            int roundsWithJobs = 0;
            for (int round = 0; round < ROUNDS; round++) {
                if (round > 0) {
                    kiln.start();
                    session = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
                    verify(session, kiln, home, lab, round);
                }
                var running = new AtomicBoolean(true);
                // Every fifth round also waits for a job: the machine takes a while to come back after a restart.
                boolean waitForJob = round % 5 == 0;
                var acknowledged = new java.util.concurrent.CountDownLatch(WRITERS_THAT_MUST_LAND + (waitForJob ? 1 : 0));
                var threads = writers(session, home, lab, round, running, acknowledged);
                threads.forEach(Thread::start);
                // Kill at a random moment, but only once every kind of write has landed this round (a loaded machine
                // may take seconds for the first): each round then crashes on every kind.
                acknowledged.await(waitForJob ? 120 : 60, java.util.concurrent.TimeUnit.SECONDS);
                Thread.sleep(random.nextInt(2500));
                kiln.kill();
                running.set(false);
                for (var thread : threads) {
                    thread.join(30_000);
                }
                if (ledger.jobs.size() > jobsBefore) {
                    roundsWithJobs++;
                }
                jobsBefore = ledger.jobs.size();
                System.out.printf("round %d: %d studios, %d links, %d connections, %d jobs, %d saved files, %d typed chars acknowledged%s%n",
                        round, ledger.studios.size(), count(ledger.links), count(ledger.connections), ledger.jobs.size(),
                        ledger.saves.size(), ledger.typedText.length(), lastJobRefusal.isEmpty() ? "" : "; jobs refused: " + lastJobRefusal);
                lastJobRefusal = "";
            }
            kiln.start();
            verify(KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD), kiln, home, lab, ROUNDS);
            assertThat(writerFailures).as("writers that failed other than by the server dying").isEmpty();
            // The test means something only if every kind of write was acknowledged and crashed on, round after round.
            assertThat(ledger.studios).hasSizeGreaterThan(ROUNDS);
            assertThat(count(ledger.links)).isGreaterThan(ROUNDS);
            assertThat(count(ledger.connections)).isGreaterThan(ROUNDS);
            assertThat(roundsWithJobs).as("rounds in which jobs were acknowledged; last refusal: " + lastJobRefusal)
                    .isGreaterThanOrEqualTo((ROUNDS + 4) / 5);
            assertThat(ledger.typedText.length()).isGreaterThan(ROUNDS * 10);
        }
    }

    /** Studios, links and connections, the two files' saves and the typist (jobs depend on the machine being back). */
    static final int WRITERS_THAT_MUST_LAND = 5;

    private List<Thread> writers(KilnHttp session, String home, String lab, int round, AtomicBoolean running,
                                 java.util.concurrent.CountDownLatch acknowledged) {
        var threads = new ArrayList<Thread>();
        threads.add(writer("studios", running, n -> {
            var name = "r" + round + "-s" + n;
            var response = session.post("/api/studios", "{\"name\":\"" + name + "\"}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
            ledger.studios.put(KilnHttp.JSON.readTree(response.body()).get("id").asString(), name);
            if (n == 1) {
                acknowledged.countDown();
            }
        }));
        threads.add(writer("links and connections", running, n -> {
            // Not in Lab: a job's start asks STS for each S3 connection's short-lived keys, which waits out a
            // timeout here (no AWS), and the job writer would spend the round waiting.
            var ids = ledger.studioIds().stream().filter(id -> !id.equals(lab)).toList();
            var studio = ids.get(n % ids.size());
            var link = session.post("/api/studios/" + studio + "/links", "{\"role\":\"editor\",\"validForHours\":24}");
            assertThat(link.statusCode()).as(link.body()).isEqualTo(201);
            ledger.links.computeIfAbsent(studio, k -> ConcurrentHashMap.newKeySet())
                    .add(KilnHttp.JSON.readTree(link.body()).get("token").asString());
            var name = "r" + round + "-c" + n;
            var connection = session.post("/api/studios/" + studio + "/connections", "{\"name\":\"" + name
                    + "\",\"kind\":\"s3\",\"settings\":{\"bucket\":\"bucket-" + n + "\",\"region\":\"eu-west-1\"},"
                    + "\"secret\":{\"accessKeyId\":\"AKIA" + n + "\",\"secretAccessKey\":\"s3cr3t-" + n + "\"}}");
            assertThat(connection.statusCode()).as(connection.body()).isBetween(200, 201);
            ledger.connections.computeIfAbsent(studio, k -> ConcurrentHashMap.newKeySet()).add(name);
            if (n == 1) {
                acknowledged.countDown();
            }
        }));
        for (var file : List.of("notes/a.md", "notes/b.md")) {
            threads.add(writer("saves of " + file, running, n -> {
                var query = "/api/studios/" + home + "/file?path=" + URLEncoder.encode(file, StandardCharsets.UTF_8);
                // Saves carry the version they replace, as the editor's do; a save in flight at the last kill may
                // have landed, so the version is read again first.
                var current = session.get(query);
                var base = current.statusCode() == 200 ? KilnHttp.JSON.readTree(current.body()).get("version").asString() : "";
                var text = "round " + round + ", save " + n + " of " + file + "\n";
                var slot = ledger.saves.computeIfAbsent(file, k -> new String[2]);
                slot[1] = text;
                var response = session.put(query, KilnHttp.JSON.createObjectNode().put("text", text).put("baseVersion", base).toString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                slot[0] = text;
                slot[1] = null;
                if (n == 1) {
                    acknowledged.countDown();
                }
            }));
        }
        threads.add(writer("jobs", running, new Step() {
            boolean jobLanded;

            @Override
            public void run(int n) throws Exception {
                var response = session.post("/api/studios/" + lab + "/jobs",
                        "{\"entryPoint\":\"example.NoSuchEntryPoint\",\"nodes\":1,\"devices\":1}");
                if (response.statusCode() == 409) {
                    lastJobRefusal = response.body() + " / machine: " + session.get("/api/studios/" + lab + "/machine").body();
                    Thread.sleep(200); // the machine is still coming back after the restart
                    return;
                }
                assertThat(response.statusCode()).as(response.body()).isBetween(200, 201);
                ledger.jobs.add(KilnHttp.JSON.readTree(response.body()).get("id").asString());
                if (!jobLanded) {
                    jobLanded = true;
                    acknowledged.countDown();
                }
                Thread.sleep(100);
            }
        }));
        threads.add(writer("typist", running, new Step() {
            CollabSocketClient typist;
            boolean counted;

            @Override
            public void run(int n) throws Exception {
                if (typist == null) {
                    typist = CollabSocketClient.connect(session, home, "README.md", "typist-" + round);
                }
                var token = "[" + round + "." + n + "]";
                typist.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), token));
                ledger.typedText = typist.confirmedText();
                if (!counted && typist.confirmedText().contains("[" + round + ".")) {
                    counted = true;
                    acknowledged.countDown();
                }
                Thread.sleep(5);
            }
        }));
        return threads;
    }

    interface Step {
        void run(int n) throws Exception;
    }

    /** Runs {@code step} over and over until the server dies; a failure while it is still up is the test's failure. */
    private Thread writer(String name, AtomicBoolean running, Step step) {
        var thread = new Thread(() -> {
            var n = new AtomicInteger();
            while (running.get()) {
                try {
                    step.run(n.incrementAndGet());
                } catch (Throwable e) {
                    if (running.get() && isServerUp(e)) {
                        writerFailures.add(new AssertionError(name + " failed while the server was up", e));
                    }
                    return;
                }
            }
        }, "writer " + name);
        thread.setDaemon(true);
        return thread;
    }

    /** A connection refused or reset means the kill happened; anything else is a real failure. */
    private static boolean isServerUp(Throwable e) {
        for (var cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.io.IOException || cause instanceof java.util.concurrent.CompletionException
                    || cause instanceof java.nio.channels.ClosedChannelException) {
                return false;
            }
        }
        return true;
    }

    private void verify(KilnHttp session, KilnServerProcess kiln, String home, String lab, int round) throws Exception {
        try {
            check(session, kiln, home, lab, round);
        } catch (AssertionError e) {
            System.out.println("The server's last lines:\n" + kiln.lastLines());
            throw e;
        }
    }

    private void check(KilnHttp session, KilnServerProcess kiln, String home, String lab, int round) throws Exception {
        var listed = new HashMap<String, String>();
        for (var studio : KilnHttp.JSON.readTree(session.get("/api/studios").body())) {
            listed.put(studio.get("id").asString(), studio.get("name").asString());
        }
        assertThat(listed).as("after restart %d: every studio answered 201", round).containsAllEntriesOf(ledger.studios);
        for (var entry : ledger.links.entrySet()) {
            var tokens = new ArrayList<String>();
            KilnHttp.JSON.readTree(session.get("/api/studios/" + entry.getKey() + "/links").body())
                    .forEach(l -> tokens.add(l.get("token").asString()));
            assertThat(tokens).as("after restart %d: share links of %s", round, entry.getKey()).containsAll(entry.getValue());
        }
        for (var entry : ledger.connections.entrySet()) {
            var names = new ArrayList<String>();
            KilnHttp.JSON.readTree(session.get("/api/studios/" + entry.getKey() + "/connections").body())
                    .forEach(c -> names.add(c.get("name").asString()));
            assertThat(names).as("after restart %d: connections of %s", round, entry.getKey()).containsAll(entry.getValue());
        }
        var jobIds = new ArrayList<String>();
        KilnHttp.JSON.readTree(session.get("/api/studios/" + lab + "/jobs").body()).forEach(j -> jobIds.add(j.get("id").asString()));
        assertThat(jobIds).as("after restart %d: jobs", round).containsAll(ledger.jobs);
        for (var entry : ledger.saves.entrySet()) {
            var acknowledged = entry.getValue()[0];
            var inFlight = entry.getValue()[1];
            var text = fileText(session, home, entry.getKey());
            if (acknowledged == null) {
                assertThat(text == null || text.equals(inFlight)).as("after restart %d: %s is %s", round, entry.getKey(), text).isTrue();
            } else {
                assertThat(text).as("after restart %d: %s holds its last acknowledged save (or the one in flight)", round, entry.getKey())
                        .isIn(acknowledged, inFlight);
            }
            // Each save's text is new, so a kept save makes the in-flight one the new baseline only if it landed.
            if (inFlight != null && inFlight.equals(text)) {
                entry.getValue()[0] = inFlight;
            }
            entry.getValue()[1] = null;
        }
        // The live document: REST and git both hold every acknowledged keystroke before anyone opens it again.
        var typed = ledger.typedText;
        assertThat(fileText(session, home, "README.md")).as("after restart %d: README.md through the REST API", round).startsWith(typed);
        assertThat(gitText(kiln, home, "README.md")).as("after restart %d: README.md at HEAD in git", round).startsWith(typed);
    }

    private static String fileText(KilnHttp session, String studio, String path) {
        var response = session.get("/api/studios/" + studio + "/file?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
        if (response.statusCode() == 404) {
            return null;
        }
        JsonNode file = KilnHttp.JSON.readTree(response.body());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return file.get("text").asString();
    }

    private static String gitText(KilnServerProcess kiln, String studio, String path) throws Exception {
        try (var repository = new FileRepositoryBuilder().setWorkTree(ServerTestSupport.workspaceOf(kiln.dataDir(), studio).toFile())
                .setMustExist(true).build()) {
            var head = repository.resolve(Constants.HEAD + "^{tree}");
            try (var walk = TreeWalk.forPath(repository, path, head)) {
                return walk == null ? null : new String(repository.open(walk.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    private static int count(Map<String, Set<String>> byStudio) {
        return byStudio.values().stream().mapToInt(Set::size).sum();
    }
}
