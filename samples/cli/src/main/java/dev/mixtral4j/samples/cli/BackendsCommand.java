package dev.mixtral4j.samples.cli;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.Backends;
import dev.mixtral4j.spi.DeviceInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mixtral4j backends}: every backend found, available or not and why, its devices and rank. */
@Command(name = "backends",
        description = {"Lists every backend found, available or not, and why.",
                "For each: id, rank (\"auto\" picks the available backend with the highest), availability "
                        + "with its reason, the tensor types it computes with, and its devices."})
public final class BackendsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "One JSON object per backend per line.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Backends backends = Backends.discover();
        List<BackendInfo> found = backends.all();
        if (json) {
            for (BackendInfo f : found) {
                out.println(Json.write(toJson(backends, f)));
            }
        } else if (found.isEmpty()) {
            out.println("No backend found on the class path: add a mixtral4j-backend-* jar (e.g. mixtral4j-backend-java).");
        } else {
            String auto = autoChoice(backends);
            for (BackendInfo f : found) {
                out.printf("%s%s  rank %d  %s%n", f.id(), auto.endsWith("selects: " + f.id()) ? " (auto)" : "", f.rank(),
                        f.availability().available() ? "available" : "UNAVAILABLE");
                out.printf("    %s%n", f.description());
                String reason = f.availability().reason();
                if (reason != null && !reason.isBlank()) {
                    out.printf("    %s: %s%n", f.availability().available() ? "detail" : "reason", reason);
                }
                String types = tensorTypes(backends, f);
                if (types != null) {
                    out.printf("    tensor types: %s%n", types);
                }
                for (DeviceInfo d : devices(backends, f)) {
                    out.printf("    device %d: %s%s%n", d.index(), d.name(), d.memoryBytes() < 0 ? ""
                            : " (" + Sizes.bytes(d.memoryBytes()) + (d.freeBytes() < 0 ? "" : ", " + Sizes.bytes(d.freeBytes()) + " free") + ")");
                }
            }
            out.println(auto);
        }
        out.flush();
        return Mixtral4jCli.OK;
    }

    /** What "auto" resolves to (honouring -Dmixtral4j.backend and MIXTRAL4J_BACKEND), in words. */
    private static String autoChoice(Backends backends) {
        try {
            return "--backend auto selects: " + backends.select(Backends.AUTO).id();
        } catch (RuntimeException e) {
            return "--backend auto selects nothing: " + Mixtral4jCli.oneLine(e);
        }
    }

    /** The weight types the backend computes with, or null when it is unavailable or will not say. */
    private static String tensorTypes(Backends backends, BackendInfo f) {
        if (!f.available()) {
            return null;
        }
        try {
            return backends.get(f.id()).supportedTensorTypes().stream().sorted()
                    .map(Enum::name).collect(java.util.stream.Collectors.joining(" "));
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static List<DeviceInfo> devices(Backends backends, BackendInfo f) {
        if (!f.available()) {
            return List.of();
        }
        try {
            return backends.get(f.id()).devices();
        } catch (RuntimeException | LinkageError e) {
            return List.of(new DeviceInfo(-1, "devices unknown: " + Mixtral4jCli.oneLine(e), -1, -1));
        }
    }

    private static Map<String, Object> toJson(Backends backends, BackendInfo f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("description", f.description());
        m.put("rank", f.rank());
        m.put("available", f.availability().available());
        m.put("reason", f.availability().reason());
        List<Object> devs = new ArrayList<>();
        for (DeviceInfo d : devices(backends, f)) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("index", d.index());
            dm.put("name", d.name());
            dm.put("memory_bytes", d.memoryBytes());
            dm.put("free_bytes", d.freeBytes());
            devs.add(dm);
        }
        m.put("devices", devs);
        String types = tensorTypes(backends, f);
        m.put("tensor_types", types == null ? List.of() : List.of(types.split(" ")));
        return m;
    }
}
