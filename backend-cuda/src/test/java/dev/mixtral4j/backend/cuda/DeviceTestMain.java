package dev.mixtral4j.backend.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs this module's tests without Maven, for the GPU machine that gets the bundle of
 * {@code scripts/package-device-run.sh}: {@code java -cp ... dev.mixtral4j.backend.cuda.DeviceTestMain}.
 * Prints every failure and skip reason; exits 1 on a failure, 2 when nothing ran on a GPU.
 */
public final class DeviceTestMain {
    private DeviceTestMain() {
    }

    public static void main(String[] args) {
        String pkg = args.length > 0 ? args[0] : "dev.mixtral4j.backend.cuda";
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectPackage(pkg)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, new org.junit.platform.launcher.TestExecutionListener() {
            @Override
            public void executionSkipped(org.junit.platform.launcher.TestIdentifier id, String reason) {
                System.out.println("SKIPPED " + id.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(org.junit.platform.launcher.TestIdentifier id,
                                          org.junit.platform.engine.TestExecutionResult result) {
                if (id.isTest()) {
                    System.out.println(result.getStatus() + " " + id.getLegacyReportingName()
                            + result.getThrowable().map(t -> ": " + t).orElse(""));
                }
            }
        });
        TestExecutionSummary s = summary.getSummary();
        s.printTo(new PrintWriter(System.out));
        s.printFailuresTo(new PrintWriter(System.out), 30);
        if (s.getTotalFailureCount() > 0) {
            System.exit(1);
        }
        if (s.getTestsSucceededCount() == 0 || s.getTestsSkippedCount() + s.getTestsAbortedCount() > 0
                && !new CudaBackendProvider().availability().available()) {
            System.out.println("no CUDA GPU here: " + new CudaBackendProvider().availability());
            System.exit(2);
        }
    }
}
