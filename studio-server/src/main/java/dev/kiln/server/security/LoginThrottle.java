package dev.kiln.server.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Failed sign-ins, counted per account and per client address, in memory. After a number of free failures every
 * further failure makes the key wait, twice as long each time (30 s, 1 min, 2 min ... at most 15 min); while a key
 * waits, attempts are refused without looking at the password, so even the right one has to wait. Waiting attempts
 * do not count, so the wait never grows past what real attempts earned. A success clears the account's count but
 * not the address's (an attacker with one account of their own must not be able to reset the address they spray
 * from). A key with no failure for an hour is forgotten.
 * <p>
 * The account key stops slow guessing from many addresses; the address key stops one address from trying a few
 * passwords on each of many accounts, and is more generous because an office behind one NAT shares it. Keeping
 * this state in memory means a restart forgets it, which costs an attacker a restart they cannot cause. The table
 * is bounded: past {@link #capacity} keys the least recently used is dropped.
 */
final class LoginThrottle {

    /** How many failures a key gets for free, how long the first wait is, the longest wait, when it is forgotten. */
    record Policy(int freeFailures, Duration firstWait, Duration maxWait, Duration forgetAfter) {

        Duration waitAfter(int failures) {
            int over = failures - freeFailures;
            if (over <= 0) {
                return Duration.ZERO;
            }
            var wait = firstWait.multipliedBy(1L << Math.min(over - 1, 20));
            return wait.compareTo(maxWait) > 0 ? maxWait : wait;
        }
    }

    static final Policy ACCOUNT = new Policy(5, Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ofHours(1));
    static final Policy ADDRESS = new Policy(20, Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ofHours(1));
    static final int DEFAULT_CAPACITY = 50_000;

    /** A key's failures since it was last cleared or forgotten, the last one, and how long it must wait. */
    private record Failures(int count, Instant last, Instant waitUntil) {
    }

    /** A new wait that a failure started: for the log, which says who waits and why. */
    record Wait(String key, int failures, Instant until) {
    }

    private final Clock clock;
    private final int capacity;
    private final Map<String, Failures> failures;

    LoginThrottle(Clock clock) {
        this(clock, DEFAULT_CAPACITY);
    }

    LoginThrottle(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
        this.failures = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > LoginThrottle.this.capacity;
            }
        };
    }

    /** Until when an attempt for {@code account} from {@code address} must wait; empty when it may go ahead. */
    synchronized Optional<Instant> waitUntil(String account, String address) {
        var now = clock.instant();
        Instant until = null;
        for (var key : new String[]{accountKey(account), addressKey(address)}) {
            var entry = failures.get(key);
            if (entry != null && entry.waitUntil().isAfter(now) && (until == null || entry.waitUntil().isAfter(until))) {
                until = entry.waitUntil();
            }
        }
        return Optional.ofNullable(until);
    }

    /** Counts a wrong password; returns the waits it started (none while failures are still free). */
    synchronized java.util.List<Wait> failed(String account, String address) {
        var started = new java.util.ArrayList<Wait>(2);
        count(accountKey(account), ACCOUNT).ifPresent(started::add);
        count(addressKey(address), ADDRESS).ifPresent(started::add);
        return started;
    }

    /** The right password: the account starts afresh (the address does not, see above). */
    synchronized void succeeded(String account) {
        failures.remove(accountKey(account));
    }

    synchronized int size() {
        return failures.size();
    }

    private Optional<Wait> count(String key, Policy policy) {
        var now = clock.instant();
        var previous = failures.get(key);
        int count = previous == null || previous.last().plus(policy.forgetAfter()).isBefore(now) ? 1 : previous.count() + 1;
        var wait = policy.waitAfter(count);
        var until = now.plus(wait);
        failures.put(key, new Failures(count, now, until));
        return wait.isZero() ? Optional.empty() : Optional.of(new Wait(key, count, until));
    }

    /** Names differ only in case for the throttle, and an absurdly long one costs no more memory than 100 chars. */
    static String accountKey(String account) {
        var name = account == null ? "" : account.strip().toLowerCase(Locale.ROOT);
        return "account:" + (name.length() > 100 ? name.substring(0, 100) : name);
    }

    /**
     * IPv4 addresses count one by one; IPv6 addresses by their /64, since one client usually has a whole /64 to
     * pick new addresses from.
     */
    static String addressKey(String address) {
        if (address == null || address.isBlank()) {
            return "address:unknown";
        }
        var literal = address.replaceAll("^\\[|]$", "").replaceAll("%.*$", "");
        // Only hex digits, colons and dots: InetAddress then parses a literal and never looks a name up.
        if (literal.indexOf(':') >= 0 && literal.matches("[0-9a-fA-F:.]{2,45}")) {
            try {
                var bytes = InetAddress.getByName(literal).getAddress();
                if (bytes.length == 16) {
                    var prefix = new StringBuilder("address:");
                    for (int i = 0; i < 8; i += 2) {
                        prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
                    }
                    return prefix.append(":/64").toString();
                }
            } catch (UnknownHostException | RuntimeException e) {
                // not a literal: count it as given
            }
        }
        return "address:" + (address.length() > 64 ? address.substring(0, 64) : address);
    }
}
