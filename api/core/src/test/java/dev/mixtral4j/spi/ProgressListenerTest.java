package dev.mixtral4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
    @Test
    void workReportsToTheListenerBoundForItsThreadOnly() throws Exception {
        List<String> heard = new ArrayList<>();
        ProgressListener mine = (task, done, total) -> heard.add(task + " " + done + "/" + total);
        assertSame(ProgressListener.NONE, ProgressListener.current());
        AtomicReference<ProgressListener> elsewhere = new AtomicReference<>();
        String result = ProgressListener.reportingTo(mine, () -> {
            ProgressListener.current().progress("copying", 0, 2);
            Thread other = Thread.ofVirtual().start(() -> elsewhere.set(ProgressListener.current()));
            other.join();
            ProgressListener.current().progress("copying", 2, 2);
            return "done";
        });
        assertEquals("done", result);
        assertEquals(List.of("copying 0/2", "copying 2/2"), heard);
        assertSame(ProgressListener.NONE, elsewhere.get(), "another thread has no listener");
        assertSame(ProgressListener.NONE, ProgressListener.current(), "unbound after the work");
    }

    @Test
    void theWorksExceptionsPassThrough() {
        IOException e = assertThrows(IOException.class, () -> ProgressListener.reportingTo(ProgressListener.NONE, () -> {
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertThrows(NullPointerException.class, () -> ProgressListener.reportingTo(null, () -> 1));
    }
}
