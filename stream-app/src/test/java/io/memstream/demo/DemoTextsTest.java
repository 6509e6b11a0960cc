package io.memstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DemoTextsTest {
    @Test
    void bundledPassagesAreRealTextAndCycleForManyStreams() throws Exception {
        List<DemoTexts.Document> documents = DemoTexts.fromBundledPassages(10);
        assertEquals(10, documents.size());
        assertEquals("Genesis1:1-31", documents.get(0).title());
        assertTrue(documents.get(0).text().startsWith("In the beginning God created the heaven and the earth."));
        assertNotEquals(documents.get(0).text(), documents.get(1).text());
        assertEquals(documents.get(0), documents.get(8), "8 passages, then from the start again");
        for (DemoTexts.Document document : documents) {
            assertTrue(document.text().length() > 500, document.title());
            assertTrue(!document.text().contains("\n"), "one line per passage");
        }
    }

    @Test
    void withTheBibleProgramEveryStreamReadsItsOwnChapters() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bible")),
                "the bible program is not installed (apt-get install bible-kjv)");
        List<DemoTexts.Document> documents = DemoTexts.load(16, 1000);
        assertEquals(16, documents.size());
        assertEquals(16, documents.stream().map(DemoTexts.Document::text).distinct().count());
        assertEquals("Genesis 1", documents.get(0).title());
        assertEquals("Genesis 2", documents.get(14).title(), "second round: next chapters");
        for (DemoTexts.Document document : documents) {
            assertTrue(document.text().length() >= 1000, document.title() + " is short");
            assertTrue(!document.text().matches(".*\\d+:\\d+ .*"), "verse references removed: " + document.title());
        }
    }
}
