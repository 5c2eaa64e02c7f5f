package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8AssemblerTest {
    @Test
    void emitsCharactersOnlyWhenComplete() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // 3 bytes
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8); // 4 bytes
        Utf8Assembler a = new Utf8Assembler();
        assertEquals("a", a.accept(new byte[] {'a', euro[0]}));
        assertEquals("", a.accept(new byte[] {euro[1]}));
        assertEquals("€", a.accept(new byte[] {euro[2]}));
        assertEquals("", a.accept(new byte[] {emoji[0], emoji[1], emoji[2]}));
        assertEquals("😀b", a.accept(new byte[] {emoji[3], 'b'}));
        assertEquals("", a.flush());
    }

    @Test
    void flushTurnsAnUnfinishedSequenceIntoReplacement() {
        Utf8Assembler a = new Utf8Assembler();
        assertEquals("x", a.accept(new byte[] {'x', (byte) 0xE2, (byte) 0x82}));
        assertEquals("\uFFFD", a.flush());
    }
}
