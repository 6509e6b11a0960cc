package io.memstream.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DocumentInputsTest {
    private static final InputStream NO_STDIN = new ByteArrayInputStream(new byte[0]);

    @TempDir
    Path dir;

    @Test
    void streamIdsComeFromFileNamesWithoutExtension() {
        assertEquals("exodus", DocumentInputs.idOf(Path.of("exodus.txt")));
        assertEquals("books/exodus", DocumentInputs.idOf(Path.of("books", "exodus.txt")));
        assertEquals("README", DocumentInputs.idOf(Path.of("README")));
        assertEquals("v1.2/notes", DocumentInputs.idOf(Path.of("v1.2", "notes")));
        assertEquals(".profile", DocumentInputs.idOf(Path.of(".profile")));
    }

    @Test
    void aDirectoryGivesOneDocumentPerVisibleFileInOrder() throws Exception {
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("b/two.txt"), "2");
        Files.writeString(dir.resolve("a.md"), "1");
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve(".git/config"), "hidden");
        List<DocumentInputs.Document> docs = DocumentInputs.read(List.of(dir.toString()), null, NO_STDIN);
        assertEquals(List.of("a", "b/two"), docs.stream().map(DocumentInputs.Document::streamId).toList());
        assertEquals(List.of("1", "2"), docs.stream().map(DocumentInputs.Document::text).toList());
    }

    @Test
    void theStreamFlagNamesASingleInputOnly() throws Exception {
        Path file = Files.writeString(dir.resolve("x.txt"), "text");
        assertEquals("mine", DocumentInputs.read(List.of(file.toString()), "mine", NO_STDIN).get(0).streamId());
        assertEquals("piped", DocumentInputs.read(List.of("-"), "piped",
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))).get(0).streamId());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> DocumentInputs.read(List.of(file.toString(), file.toString()), "mine", NO_STDIN));
        assertTrue(two.getMessage().contains("--stream names one stream"), two.getMessage());
    }

    @Test
    void binaryAndMissingInputsAreRefused() throws Exception {
        Path binary = Files.write(dir.resolve("blob.bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DocumentInputs.read(List.of(binary.toString()), null, NO_STDIN)).getMessage().contains("not UTF-8"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DocumentInputs.read(List.of("/no/such/file"), null, NO_STDIN)).getMessage().contains("no such file"));
    }
}
