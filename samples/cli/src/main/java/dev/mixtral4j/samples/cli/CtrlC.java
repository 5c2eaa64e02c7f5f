package dev.mixtral4j.samples.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ctrl-C (SIGINT) for an interactive command: while {@link #during} runs an action, Ctrl-C calls
 * that action's stop hook instead of ending the JVM; at any other time it does what it did
 * before (the JVM's own handler ends the program). Installed through {@code sun.misc.Signal}
 * (module jdk.unsupported), looked up reflectively so that a runtime without it, or one that
 * refuses the handler (e.g. {@code -Xrs}), or a process that ignores SIGINT (started in the
 * background by a non-interactive shell), just keeps the default behaviour.
 */
final class CtrlC implements AutoCloseable {
    /** Guards {@link #stops}: tests wait on it for the signal, which arrives on another thread. */
    private static final Object STOPS = new Object();
    /** Interrupts that stopped an action, in this JVM. */
    private static int stops;

    private final AtomicReference<Runnable> onInterrupt = new AtomicReference<>();
    private final Object signal;
    private final Method handle;
    /** The handler we replaced, known once installed. */
    private volatile Object previous;

    private CtrlC(Object signal, Method handle) {
        this.signal = signal;
        this.handle = handle;
    }

    /** Installs the handler; when the platform cannot, returns one that does nothing (see {@link #installed()}). */
    static CtrlC install() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("INT");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            CtrlC self = new CtrlC(signal, handle);
            Object handler = Proxy.newProxyInstance(CtrlC.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            self.interrupted();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "mixtral4j Ctrl-C handler";
                        default -> null;
                    });
            Object previous = handle.invoke(null, signal, handler);
            if (previous != null && previous.equals(handlerClass.getField("SIG_IGN").get(null))) {
                // SIGINT was ignored when the JVM started (a program started in the background by a
                // non-interactive shell inherits it so) and the JVM keeps it ignored: our handler would
                // never run, so Ctrl-C is not offered.
                handle.invoke(null, signal, previous);
                return new CtrlC(null, null);
            }
            self.previous = previous;
            return self;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new CtrlC(null, null);
        }
    }

    /** How many Ctrl-C have stopped an action in this JVM so far. */
    static int stops() {
        synchronized (STOPS) {
            return stops;
        }
    }

    /**
     * Waits until more than {@code seen} Ctrl-C have stopped an action (the signal is handled on a
     * thread of its own, some time after it was raised); false when {@code timeout} passed first.
     */
    static boolean awaitStopsAbove(int seen, java.time.Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (STOPS) {
            while (stops <= seen) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(STOPS, left);
            }
            return true;
        }
    }

    /** Whether Ctrl-C is really caught (false where the platform did not allow it). */
    boolean installed() {
        return signal != null;
    }

    /**
     * Runs {@code action}; a Ctrl-C meanwhile calls {@code stop} (on the signal thread) and the
     * action is expected to end soon after.
     */
    <T> T during(Runnable stop, java.util.function.Supplier<T> action) {
        onInterrupt.set(stop);
        try {
            return action.get();
        } finally {
            onInterrupt.set(null);
        }
    }

    private void interrupted() {
        Runnable stop = onInterrupt.get();
        if (stop != null) {
            stop.run();
            synchronized (STOPS) {
                stops++;
                STOPS.notifyAll();
            }
            return;
        }
        // Not busy: behave as before we were installed, which normally ends the program.
        try {
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            handlerClass.getMethod("handle", signal.getClass()).invoke(previous, signal);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Runtime.getRuntime().exit(130); // 128 + SIGINT, as a shell reports it
        }
    }

    /** Puts the previous handler back. */
    @Override
    public void close() {
        if (signal != null && previous != null) {
            try {
                handle.invoke(null, signal, previous);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // The JVM is going down or the handler cannot be changed: nothing left to restore.
            }
        }
    }
}
