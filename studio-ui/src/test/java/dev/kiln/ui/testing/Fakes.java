package dev.kiln.ui.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One fake per port the views call, sharing a fixed clock; {@link #forType} hands them to view constructors (see
 * {@link FakeInstantiatorFactory}), so a view test navigates to real routes.
 */
public final class Fakes {
    public final Instant now = Instant.parse("2026-12-01T12:00:00Z");
    public final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    public final FakeUser user = new FakeUser();
    public final FakeCatalog catalog = new FakeCatalog(now);
    public final FakeWorkspace workspace = new FakeWorkspace(now);
    public final FakeFiles files = new FakeFiles(workspace, now);
    public final FakeSharing sharing = new FakeSharing(clock, catalog);
    public final FakeMachines machines = new FakeMachines(clock);
    public final FakeJobs jobs = new FakeJobs(clock);
    public final FakeData data = new FakeData(now);
    public final FakeUsers users = new FakeUsers(now);

    /** The fakes of the test running on this thread (Vaadin's mock UI is per thread too, and creates views on it). */
    static final ThreadLocal<Fakes> CURRENT = new ThreadLocal<>();

    private final Map<Class<?>, Object> byType = new LinkedHashMap<>();

    public Fakes() {
        for (Object port : new Object[] {user, catalog, workspace, files, sharing, machines, jobs, data, users, clock}) {
            byType.put(port.getClass(), port);
        }
        CURRENT.set(this);
    }

    /** The fake for a constructor parameter of a view: the one implementing that port, or null. */
    Object forType(Class<?> type) {
        return byType.values().stream().filter(type::isInstance).findFirst().orElse(null);
    }
}
