package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mixtral4j.spi.Backend;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The kit is only worth something if it fails faulty backends: two known faults, two failures. */
class ConformanceKitCatchesFaultsTest {

    private static BackendConformanceKit kitFor(Backend backend) {
        return new BackendConformanceKit() {
            @Override
            protected Backend backend() {
                return backend;
            }
        };
    }

    @Test
    void summingExpertsWithoutRoutingWeightsFails() {
        BackendConformanceKit kit = kitFor(new ReferenceBackend(true, true));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, kit::routingWeightsAreApplied);
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("routing weights"), e.getMessage());
        assertThrows(AssertionFailedError.class, () -> kit.agreesWithTheReferenceOnEveryFixture().findFirst()
                .orElseThrow().getExecutable().execute());
    }

    @Test
    void notCheckingTokenIdsFails() {
        BackendConformanceKit kit = kitFor(new ReferenceBackend(false, false));
        assertThrows(AssertionFailedError.class, kit::badTokenIdsAreRejectedAndLeaveTheSessionUsable);
    }

    @Test
    void routingReportedWorstFirstFails() {
        BackendConformanceKit kit = kitFor(new ReferenceBackend(false, true, true));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> kit.routingAgreesWithTheReference()
                .findFirst().orElseThrow().getExecutable().execute());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("rank 0"), e.getMessage());
        assertThrows(AssertionFailedError.class, kit::routingTracesFollowTheForwardCalls);
    }

    @Test
    void theCorrectBackendPassesTheSameChecks() throws Throwable {
        BackendConformanceKit kit = kitFor(new ReferenceBackend());
        kit.routingWeightsAreApplied();
        kit.badTokenIdsAreRejectedAndLeaveTheSessionUsable();
        kit.agreesWithTheReferenceOnEveryFixture().findFirst().orElseThrow().getExecutable().execute();
        kit.routingAgreesWithTheReference().findFirst().orElseThrow().getExecutable().execute();
        kit.routingTracesFollowTheForwardCalls();
    }
}
