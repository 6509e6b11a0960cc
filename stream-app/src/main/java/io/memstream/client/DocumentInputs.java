package io.memstream.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns what a user names on the command line (files, directories, {@code -} for standard input)
 * into documents, each with its stream id: the given id for a single input, else the file name
 * without its extension (in a directory: the path below it, so {@code books/exodus.txt} is
 * {@code books/exodus}).
 */
public final class DocumentInputs {
    /** One document to publish as one stream. */
    public record Document(String streamId, String source, String text) { }

    private DocumentInputs() {
    }

    /**
     * @param inputs   file paths, directory paths, or {@code -} (standard input, read once)
     * @param streamId the id for a single input; must be null for several, or for a directory of several files
     */
    public static List<Document> read(List<String> inputs, String streamId, InputStream stdin) throws IOException {
        List<Document> documents = new ArrayList<>();
        for (String input : inputs) {
            if ("-".equals(input)) {
                if (streamId == null) {
                    throw new IllegalArgumentException("standard input has no file name to take a stream id from: give --stream");
                }
                documents.add(new Document(streamId, "stdin", decode(stdin.readAllBytes(), "standard input")));
                continue;
            }
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                for (Path file : filesUnder(path)) {
                    documents.add(new Document(idOf(path.relativize(file)), file.toString(), readText(file)));
                }
            } else if (Files.isRegularFile(path)) {
                documents.add(new Document(idOf(path.getFileName()), path.toString(), readText(path)));
            } else {
                throw new IllegalArgumentException("no such file or directory: " + input);
            }
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("nothing to publish in " + inputs);
        }
        if (streamId != null) {
            if (documents.size() > 1) {
                throw new IllegalArgumentException("--stream names one stream, but the inputs hold " + documents.size()
                        + " documents: leave it out to take each id from its file name");
            }
            Document only = documents.get(0);
            documents.set(0, new Document(streamId, only.source(), only.text()));
        }
        return documents;
    }

    /** A relative path without the extension of its last element, with '/' between directories. */
    static String idOf(Path relative) {
        String joined = relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
        int slash = joined.lastIndexOf('/');
        int dot = joined.lastIndexOf('.');
        return dot > slash + 1 ? joined.substring(0, dot) : joined;
    }

    /** Regular, non-hidden files below {@code dir}, in a stable order. */
    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> !hidden(dir.relativize(f))).sorted().toList();
        }
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String readText(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Chunks are UTF-8 text: a binary or otherwise encoded file is refused rather than garbled. */
    private static String decode(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not UTF-8 text");
        }
    }
}
