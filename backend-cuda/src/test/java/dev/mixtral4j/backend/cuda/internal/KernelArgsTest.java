package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class KernelArgsTest {

    @Test
    void paramsArrayPointsAtEachValueInOrder() {
        try (Arena a = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(a).ptr(0x7f00_1234_5000L).i32(-7).i64(1L << 40).f32(0.5f);
            assertEquals("ptr,i32,i64,f32", args.signature());
            MemorySegment params = args.toParams();
            assertEquals(4 * ValueLayout.ADDRESS.byteSize(), params.byteSize());
            MemorySegment p0 = params.getAtIndex(ValueLayout.ADDRESS, 0).reinterpret(8);
            MemorySegment p1 = params.getAtIndex(ValueLayout.ADDRESS, 1).reinterpret(4);
            MemorySegment p2 = params.getAtIndex(ValueLayout.ADDRESS, 2).reinterpret(8);
            MemorySegment p3 = params.getAtIndex(ValueLayout.ADDRESS, 3).reinterpret(4);
            assertEquals(0x7f00_1234_5000L, p0.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-7, p1.get(ValueLayout.JAVA_INT, 0));
            assertEquals(1L << 40, p2.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0.5f, p3.get(ValueLayout.JAVA_FLOAT, 0));
        }
    }
}
