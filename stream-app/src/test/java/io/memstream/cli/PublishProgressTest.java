package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PublishProgressTest {

    @Test
    void aBarRedrawsOneLineInPlaceAndEndsItWhenDone() {
        StringWriter terminal = new StringWriter();
        PublishProgress bar = PublishProgress.create(PublishProgress.Mode.BAR, new PrintWriter(new StringWriter()),
                new PrintWriter(terminal), 300, 3);
        bar.acknowledged(100);
        String first = terminal.toString();
        assertTrue(first.startsWith("\r[" + "#".repeat(10) + " ".repeat(20) + "]  33% "), first);
        assertTrue(first.contains("100 B of 300 B, 1/3 chunks"), first);
        assertTrue(first.contains("chunks/s, ETA "), first);
        assertFalse(first.contains("\n"), "no new line while running");
        bar.acknowledged(100);
        bar.acknowledged(100);
        String last = terminal.toString().substring(terminal.toString().lastIndexOf('\r'));
        assertTrue(last.startsWith("\r[" + "#".repeat(30) + "] 100% 300 B of 300 B, 3/3 chunks"), last);
        assertTrue(last.contains("done"), last);
        assertTrue(last.endsWith("\n") || last.endsWith(System.lineSeparator()), "the finished bar ends its line");
    }

    @Test
    void linesHaveNoCarriageReturnsAndTheLastOneIsAlwaysPrinted() {
        StringWriter out = new StringWriter();
        PublishProgress lines = new PublishProgress.Lines(new PrintWriter(out), 2 * 1024 * 1024, 2, Long.MAX_VALUE);
        lines.acknowledged(1024 * 1024);
        lines.acknowledged(1024 * 1024);
        assertFalse(out.toString().contains("\r"));
        // The first acknowledgement prints (none shown yet); later ones only after the interval or at the end.
        assertEquals(2, out.toString().lines().count(), out.toString());
        assertTrue(out.toString().lines().toList().get(1).startsWith("published 2.0 MiB of 2.0 MiB, 2/2 chunks"),
                out.toString());
    }

    @Test
    void sizesAndDurationsReadWell() {
        assertEquals("512 B", PublishProgress.size(512));
        assertEquals("1.5 KiB", PublishProgress.size(1536));
        assertEquals("3.0 MiB", PublishProgress.size(3 * 1024 * 1024));
        assertEquals("42 s", PublishProgress.duration(42.2));
        assertEquals("2:05 min", PublishProgress.duration(125));
    }
}
