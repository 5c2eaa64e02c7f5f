package dev.mixtral4j.backend.cuda.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PTX the build packaged: {@code kernels.properties} (nvcc version, architectures, module
 * names) and one {@code <module>.compute_<arch>.ptx} per module and architecture, under
 * {@value #RESOURCE_DIR}. Absent when the jar was built without nvcc.
 */
public final class PtxBundle {
    public static final String RESOURCE_DIR = "/dev/mixtral4j/backend/cuda/ptx/";
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    private final String nvccVersion;
    private final List<Integer> archs;
    private final List<String> modules;

    private PtxBundle(String nvccVersion, List<Integer> archs, List<String> modules) {
        this.nvccVersion = nvccVersion;
        this.archs = List.copyOf(archs);
        this.modules = List.copyOf(modules);
    }

    /** The packaged bundle, or empty when the jar carries no kernels. */
    public static Optional<PtxBundle> packaged() {
        try (InputStream in = PtxBundle.class.getResourceAsStream(RESOURCE_DIR + "kernels.properties")) {
            if (in == null) {
                return Optional.empty();
            }
            Properties p = new Properties();
            p.load(in);
            List<Integer> archs = Arrays.stream(p.getProperty("archs", "").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).sorted().toList();
            List<String> modules = Arrays.stream(p.getProperty("modules", "").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (archs.isEmpty() || modules.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new PtxBundle(p.getProperty("nvcc", "?"), archs, modules));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public String nvccVersion() {
        return nvccVersion;
    }

    /** Compute capabilities with PTX, ascending (e.g. 80, 90). */
    public List<Integer> archs() {
        return archs;
    }

    public List<String> modules() {
        return modules;
    }

    /**
     * The CUDA driver version (as {@code cuDriverGetVersion} reports it, e.g. 13000 for 13.0) the
     * PTX needs: PTX from a given nvcc is only JIT-compiled by drivers of at least that CUDA
     * version. -1 when the manifest does not say.
     */
    public int requiredDriverVersion() {
        String[] parts = nvccVersion.split("\\.");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major * 1000 + minor * 10;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** "13.0" for 13000. */
    public static String driverVersionText(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    /**
     * The PTX architecture to load on a device of compute capability {@code major.minor}: the
     * newest one not above the device (PTX is forward compatible: the driver JIT-compiles it for
     * newer GPUs), or empty when the device is older than all of them.
     */
    public Optional<Integer> archFor(int major, int minor) {
        int cc = major * 10 + minor;
        Integer best = null;
        for (int a : archs) {
            if (a <= cc) {
                best = a;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The PTX text of a module for an architecture. */
    public String ptx(String module, int arch) {
        String name = RESOURCE_DIR + module + ".compute_" + arch + ".ptx";
        try (InputStream in = PtxBundle.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("kernel resource " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    /** Kernel entry points of a PTX text with their parameter types (".u64", ".u32", ".f32" without the dot). */
    public static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> params = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) {
                params.add(p.group(1));
            }
            out.put(m.group(1), params);
        }
        return out;
    }
}
