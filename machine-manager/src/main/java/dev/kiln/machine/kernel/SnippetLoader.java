package dev.kiln.machine.kernel;

import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;
import jdk.jshell.spi.ExecutionControl.InternalException;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the Java kernel's snippets live: a class loader over the user's classpath (the training runtime and the
 * workspace's classes) whose parent is the platform loader, so a notebook sees what a job sees and none of the
 * kernel's own libraries (its ZeroMQ and JSON). JShell hands it each snippet's compiled classes.
 */
final class SnippetLoader implements LoaderDelegate {
    private final Loader loader;
    private final Map<String, Class<?>> classes = new HashMap<>();

    private static final class Loader extends URLClassLoader {
        private final Map<String, byte[]> declared = new HashMap<>();

        Loader() {
            super("kiln-notebook", new URL[0], ClassLoader.getPlatformClassLoader());
        }

        synchronized void declare(String name, byte[] bytes) {
            declared.put(name, bytes);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes;
            synchronized (this) {
                bytes = declared.get(name);
            }
            if (bytes == null) {
                return super.findClass(name);
            }
            return defineClass(name, bytes, 0, bytes.length);
        }

        @Override
        protected void addURL(URL url) {
            super.addURL(url);
        }
    }

    SnippetLoader() {
        this.loader = new Loader();
    }

    ClassLoader classLoader() {
        return loader;
    }

    @Override
    public void load(ClassBytecodes[] cbcs) throws ClassInstallException {
        boolean[] loaded = new boolean[cbcs.length];
        try {
            for (ClassBytecodes cbc : cbcs) {
                loader.declare(cbc.name(), cbc.bytecodes());
            }
            for (int i = 0; i < cbcs.length; i++) {
                Class<?> type = loader.loadClass(cbcs[i].name());
                classes.put(cbcs[i].name(), type);
                loaded[i] = true;
                type.getDeclaredMethods(); // linked now, so a broken snippet fails here and not half-way through a run
            }
        } catch (Throwable e) {
            throw new ClassInstallException("load: " + e.getMessage(), loaded);
        }
    }

    @Override
    public void classesRedefined(ClassBytecodes[] cbcs) {
        for (ClassBytecodes cbc : cbcs) {
            loader.declare(cbc.name(), cbc.bytecodes());
        }
    }

    @Override
    public void addToClasspath(String classpath) throws InternalException {
        try {
            for (String entry : classpath.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    loader.addURL(Path.of(entry).toUri().toURL());
                }
            }
        } catch (Exception e) {
            throw new InternalException(e.toString());
        }
    }

    @Override
    public Class<?> findClass(String name) throws ClassNotFoundException {
        Class<?> type = classes.get(name);
        return type != null ? type : Class.forName(name, false, loader);
    }
}
