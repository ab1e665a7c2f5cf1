package dev.kiln.machine.local;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment a local machine starts with: a fixed allowlist, never a copy of the server's (which holds its
 * admin password, cloud keys and database settings), plus what an admin chose to give every machine.
 */
final class MachineEnvironment {
    private MachineEnvironment() {}

    static Map<String, String> of(String home, Map<String, String> extra) {
        var env = new LinkedHashMap<String, String>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", home);
        env.put("USER", Bubblewrap.USER);
        env.put("LOGNAME", Bubblewrap.USER);
        env.put("SHELL", "/bin/bash");
        env.put("LANG", "C.UTF-8");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        String tz = System.getenv("TZ");
        if (tz != null && !tz.isBlank()) {
            env.put("TZ", tz);
        }
        env.putAll(extra);
        return env;
    }
}
