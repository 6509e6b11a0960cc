package io.memstream.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Real text for the demo's document streams: chapters of the King James Bible printed by the
 * {@code bible} program (Debian's bible-kjv) when it is installed, else the passages bundled in
 * {@code demo/kjv-passages.txt} (public domain, taken from the same program). The same corpus the
 * default model is trained on, so its surprise is meaningful.
 */
public final class DemoTexts {
    /** One document: where it comes from and its text. */
    public record Document(String title, String text) {
    }

    private static final String BUNDLED = "/demo/kjv-passages.txt";
    private static final Path BIBLE = Path.of("/usr/bin/bible");
    private static final List<String> BOOKS = List.of("Genesis", "Exodus", "Ruth", "Psalms", "Proverbs",
            "Ecclesiastes", "Isaiah", "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "Revelation");
    private static final Pattern VERSE_REFERENCE = Pattern.compile("^\\d?[A-Za-z]+\\d+:\\d+ ");

    private DemoTexts() {
    }

    /** {@code count} documents, each at least {@code minBytes} long where the source allows. */
    public static List<Document> load(int count, int minBytes) throws IOException {
        if (Files.isExecutable(BIBLE)) {
            List<Document> fromBible = fromBibleProgram(count, minBytes);
            if (fromBible.size() == count) {
                return fromBible;
            }
        }
        return fromBundledPassages(count);
    }

    /** Stream i reads chapter {@code 1 + i / books} of book {@code i % books}, so every stream differs. */
    private static List<Document> fromBibleProgram(int count, int minBytes) throws IOException {
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String book = BOOKS.get(i % BOOKS.size());
            int chapter = 1 + i / BOOKS.size();
            StringBuilder text = new StringBuilder();
            // Short chapters (a psalm) get the next chapters appended until the document is long enough.
            for (int c = chapter; text.length() < minBytes && c < chapter + 20; c++) {
                String passage = bible(book + c + ":1-200");
                if (passage.isEmpty()) {
                    break;
                }
                text.append(text.length() == 0 ? "" : " ").append(passage);
            }
            if (text.length() == 0) {
                return List.of();
            }
            documents.add(new Document(book + " " + chapter, text.toString()));
        }
        return documents;
    }

    private static String bible(String reference) throws IOException {
        Process process = new ProcessBuilder(BIBLE.toString(), "-f", reference)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        StringBuilder text = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            reader.lines().map(line -> VERSE_REFERENCE.matcher(line).replaceFirst("").trim())
                    .filter(line -> !line.isEmpty())
                    .forEach(line -> text.append(text.length() == 0 ? "" : " ").append(line));
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + reference, e);
        }
        return process.exitValue() == 0 ? text.toString() : "";
    }

    /** The bundled passages ("# title" line, then the text), cycled when more streams are asked for. */
    static List<Document> fromBundledPassages(int count) throws IOException {
        List<Document> passages = new ArrayList<>();
        try (InputStream in = DemoTexts.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IOException(BUNDLED + " is missing from the jar");
            }
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            for (int i = 0; i + 1 < lines.size(); i += 2) {
                passages.add(new Document(lines.get(i).substring(2).trim(), lines.get(i + 1)));
            }
        }
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            documents.add(passages.get(i % passages.size()));
        }
        return documents;
    }
}
