package dev.kiln.server.machine;

import java.util.List;

/**
 * The studio's terminals open on the server, as the machine control lists them (SharedTerminals implements it): the
 * terminals follow the machine, so the machine package names what it needs and the terminal package provides it.
 */
public interface OpenTerminals {

    /** Names of the studio's open terminals (everyone's). */
    List<String> names(String studioId);
}
