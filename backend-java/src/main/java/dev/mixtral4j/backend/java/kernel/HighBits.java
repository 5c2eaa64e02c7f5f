package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.I;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** The fifth bits of Q5_0/Q5_1: bit i of a 32-bit word belongs to value i of the block. */
final class HighBits {
    private static final IntVector[] SHIFTS = new IntVector[32 / L];

    static {
        int[] lanes = new int[L];
        for (int c = 0; c < SHIFTS.length; c++) {
            for (int i = 0; i < L; i++) {
                lanes[i] = c * L + i;
            }
            SHIFTS[c] = IntVector.fromArray(I, lanes, 0);
        }
    }

    private HighBits() {
    }

    /** Bits {@code e0 .. e0+L-1} of {@code qh} as 0.0/1.0 float lanes. */
    static FloatVector of(int qh, int e0) {
        return (FloatVector) IntVector.broadcast(I, qh).lanewise(VectorOperators.LSHR, SHIFTS[e0 / L])
                .and(1).convertShape(VectorOperators.I2F, F, 0);
    }
}
