package dev.modproxy.proxy.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.RequestKind;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.YearMonth;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading text answers (.info, .mod, list, @latest) for checks in bounded memory, whatever their
 * size: .mod and list are read line by line (a legal go.mod may be 16 MiB, and many may arrive at
 * once), a line's first {@link #MAX_LINE_CHARS} characters at most; .info and @latest are small JSON
 * objects read whole.
 */
final class TextAnswers {

    /**
     * The shape of a time the go command's JSON decoding takes (time.Time's UnmarshalJSON, which is time.Parse with
     * RFC 3339's layout: its stricter check is turned off, go.dev/issue/54580): seconds required, an hour
     * of one or two digits, a fraction of any length after '.' or ','; the ranges are {@link #isGoRfc3339}'s.
     */
    private static final Pattern GO_RFC3339 = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{1,2}):(\\d{2}):(\\d{2})([.,]\\d+)?(Z|[+-](\\d{2}):(\\d{2}))");

    /**
     * The most of a line held for a check. The go command reads lines of any length, but what it reads of a go.mod
     * or list line is short (a directive, a path, a version, a time); what makes a line longer is a comment or fields
     * it ignores, which the checks judge by this start ({@link LineCheck#longLine}). Holding whole lines instead
     * would hold up to the answer's whole size (16 MiB) per check, for each of many answers checked at once.
     */
    static final int MAX_LINE_CHARS = 64 * 1024;

    /** The largest .info or @latest answer: one JSON object of a few hundred bytes (Version, Time, Origin). */
    private static final long MAX_JSON_BYTES = RequestKind.INFO.maxBytes();

    /**
     * Reads .info and @latest answers key by key, as the go command's JSON decoding sees them: strict JSON (no
     * comments, single quotes, NaN or leading zeros, which Jackson refuses by default), nested at most as deep as
     * encoding/json allows, and numbers and names of any length an answer of this size can hold, since the go
     * command skips fields it does not know whatever they contain.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(10_000)
                    .maxNumberLength((int) MAX_JSON_BYTES)
                    .maxNameLength((int) MAX_JSON_BYTES)
                    .build())
            .build();

    /** Told each line of a text answer, without its newline. */
    @FunctionalInterface
    interface LineCheck {
        void line(String line) throws ArtifactRejectedException;

        /**
         * Told, instead of {@link #line}, the first {@link #MAX_LINE_CHARS} characters of a longer line: whether they
         * settle the line, so that the rest is skipped unread (a go.mod comment has begun by then); false refuses the
         * answer.
         */
        default boolean longLine(String start) throws ArtifactRejectedException {
            return false;
        }
    }

    private TextAnswers() {}

    /**
     * Decodes the file as UTF-8 and hands it to check one line at a time; binary content, NUL
     * bytes and HTML pages are rejected, and so is a line over {@link #MAX_LINE_CHARS} unless the
     * check can judge it by its start ({@link LineCheck#longLine}). Returns whether the text had
     * anything but white space.
     */
    static boolean forEachLine(Path file, String what, LineCheck check) throws ArtifactRejectedException {
        return forEachLine(file, what, CodingErrorAction.REPORT, check);
    }

    /**
     * As {@link #forEachLine(Path, String, LineCheck)}, but bytes that are not UTF-8 become U+FFFD: how the
     * go command reads a go.mod, whose comments may be in any encoding.
     */
    static boolean forEachLineLenient(Path file, String what, LineCheck check) throws ArtifactRejectedException {
        return forEachLine(file, what, CodingErrorAction.REPLACE, check);
    }

    private static boolean forEachLine(Path file, String what, CodingErrorAction notUtf8, LineCheck check)
            throws ArtifactRejectedException {
        CharsetDecoder utf8 =
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(notUtf8).onUnmappableCharacter(notUtf8);
        boolean content = false;
        try (Reader in = new InputStreamReader(Files.newInputStream(file), utf8)) {
            char[] buffer = new char[8192];
            StringBuilder line = new StringBuilder();
            boolean skipping = false; // the rest of a long line its check has judged by its start
            for (int n; (n = in.read(buffer)) >= 0; ) {
                for (int i = 0; i < n; i++) {
                    char c = buffer[i];
                    if (c == 0) {
                        throw new ArtifactRejectedException(what + " contains NUL bytes");
                    }
                    if (!content && !Character.isWhitespace(c)) {
                        content = true;
                        if (c == '<') {
                            throw new NotAnAnswerException(what + " is an HTML/XML page, not a GOPROXY answer");
                        }
                    }
                    if (c == '\n') {
                        if (!skipping) {
                            check.line(line.toString());
                        }
                        line.setLength(0);
                        skipping = false;
                    } else if (skipping) {
                        continue;
                    } else if (line.length() == MAX_LINE_CHARS) {
                        if (!check.longLine(line.toString())) {
                            throw new ArtifactRejectedException(
                                    what + " has a line longer than " + MAX_LINE_CHARS + " characters");
                        }
                        line.setLength(0);
                        skipping = true;
                    } else {
                        line.append(c);
                    }
                }
            }
            if (!line.isEmpty() && !skipping) {
                check.line(line.toString());
            }
        } catch (CharacterCodingException e) {
            throw new ArtifactRejectedException(what + " is not UTF-8 text");
        } catch (IOException e) {
            throw CheckNotMadeException.unreadableStaged(what, e);
        }
        return content;
    }

    /**
     * A small answer (at most {@link #MAX_JSON_BYTES}) as UTF-8 text; binary content, NUL bytes and HTML pages are
     * rejected. Bytes that are not UTF-8 read as U+FFFD, as the go command's JSON decoding reads them inside a string
     * (a Latin-1 branch name in an Origin's Ref); anywhere else the JSON parser then refuses them, as it does.
     */
    static String readText(Path file, String what) throws ArtifactRejectedException {
        StringBuilder text = new StringBuilder();
        try {
            if (Files.size(file) > MAX_JSON_BYTES) {
                throw new ArtifactRejectedException(what + " is larger than " + MAX_JSON_BYTES + " bytes");
            }
        } catch (IOException e) {
            throw CheckNotMadeException.unreadableStaged(what, e);
        }
        forEachLineLenient(file, what, line -> text.append(line).append('\n'));
        return text.toString();
    }

    /**
     * Keeps the lines of a version list that name a version and drops the rest, as the go command reads a list
     * (modfetch's proxyRepo.Versions): a line names a version when its first field (fields split at white space, as
     * Go's strings.Fields splits them) is a semantic version; a branch name, a comment, a line that is not UTF-8 or
     * blank names none and is skipped. The staged file is rewritten to the lines kept, so what is stored and served
     * is the list the go command would have read; a list with nothing to drop is left byte for byte as it came. A
     * line longer than {@link #MAX_LINE_CHARS} keeps the fields complete in its start.
     * Refused: a list whose lines are not blank yet none names a version (an error message or a page answered
     * with 200: stored, it would hide every version for the mutable TTL), besides what {@link #forEachLineLenient}
     * refuses (an HTML page, NUL bytes: a binary body).
     */
    static void filterVersionList(Path file) throws ArtifactRejectedException {
        VersionLines scan = new VersionLines(null);
        forEachLineLenient(file, "version list", scan);
        if (scan.versions == 0 && scan.firstOther != null) {
            throw new ArtifactRejectedException(
                    "version list names no version on any line: line " + scan.firstOtherLine + " is "
                            + shown(scan.firstOther) + (scan.others > 1 ? ", and " + (scan.others - 1) + " more" : ""));
        }
        if (scan.firstOther == null && !scan.cut) {
            return;
        }
        Path kept = null;
        try {
            kept = Files.createTempFile(file.getParent(), "list-", ".kept");
            try (Writer out = Files.newBufferedWriter(kept, StandardCharsets.UTF_8)) {
                forEachLineLenient(file, "version list", new VersionLines(out));
            }
            // into the staged file itself, not renamed over it: its writer publishes the file it opened
            try (FileChannel staged =
                            FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    FileChannel in = FileChannel.open(kept, StandardOpenOption.READ)) {
                for (long at = 0, size = in.size(); at < size; ) {
                    at += in.transferTo(at, size - at, staged);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cache storage failed: cannot rewrite the version list: " + e.getMessage(), e);
        } finally {
            if (kept != null) {
                try {
                    Files.deleteIfExists(kept);
                } catch (IOException e) {
                    // a leftover in the staging directory, removed with it as the storage removes staging
                }
            }
        }
    }

    /** Counts a list's lines that name a version and those that name none; writes the first kind to out, if given. */
    private static final class VersionLines implements LineCheck {
        private final Writer out;
        private int number;
        private int versions;
        private int others;
        private String firstOther;
        private int firstOtherLine;
        /** Whether a line longer than {@link #MAX_LINE_CHARS} was cut to its complete fields. */
        private boolean cut;

        VersionLines(Writer out) {
            this.out = out;
        }

        /** The fields complete in the start: the go command reads a version and a time, never 64 KiB of fields. */
        @Override
        public boolean longLine(String start) {
            int end = start.length();
            while (end > 0 && !isGoSpace(start.charAt(end - 1))) {
                end--; // the last field may go on past the start: not kept
            }
            // a first field longer than the start is no version (ModuleVersion.isSemver takes 256 characters at most)
            line(end > 0 ? start.substring(0, end) : start);
            cut = true;
            return true;
        }

        @Override
        public void line(String line) {
            number++;
            String first = firstField(line);
            if (first == null) {
                return;
            }
            if (!ModuleVersion.isSemver(first)) {
                if (others++ == 0) {
                    firstOther = line.strip();
                    firstOtherLine = number;
                }
                return;
            }
            versions++;
            if (out != null) {
                try {
                    out.write(line);
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(
                            "cache storage failed: cannot rewrite the version list: " + e.getMessage(), e);
                }
            }
        }
    }

    /** The first field of a line as Go's strings.Fields splits it (at unicode.IsSpace), or null when it has none. */
    private static String firstField(String line) {
        int start = 0;
        while (start < line.length() && isGoSpace(line.charAt(start))) {
            start++;
        }
        if (start == line.length()) {
            return null;
        }
        int end = start;
        while (end < line.length() && !isGoSpace(line.charAt(end))) {
            end++;
        }
        return line.substring(start, end);
    }

    /** Go's unicode.IsSpace: ASCII white space, U+0085, and the Unicode space, line and paragraph separators. */
    private static boolean isGoSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || Character.isSpaceChar(c);
    }

    /**
     * The "Version" field of a JSON .info or @latest answer; a "Time" that is not an RFC 3339 string
     * is refused too, since the go command rejects the whole answer over it.
     */
    static String jsonVersion(Path file, String what) throws ArtifactRejectedException {
        String text = readText(file, what);
        String version = null;
        String badTime = null; // the first: encoding/json hands each Time to time.Time, and stops at one it refuses
        String wrongType = null; // encoding/json finishes the whole text before it reports a field of the wrong type
        try (JsonParser json = JSON.createParser(text)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new ArtifactRejectedException(what + " is not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                // as the go command's JSON decoding reads a struct: a key names a field in any case (namesField), a
                // later key for the same field overrides an earlier one, and null leaves the field as it was
                String key = json.currentName();
                JsonToken value = json.nextToken();
                boolean isVersion = namesField(key, "Version");
                boolean isTime = namesField(key, "Time");
                if (namesField(key, "Origin") && value != JsonToken.VALUE_NULL) {
                    String problem = originProblem(json, value, what);
                    if (problem != null && wrongType == null) {
                        wrongType = problem;
                    }
                    continue; // originProblem read the whole value
                }
                if ((isVersion || isTime) && value != JsonToken.VALUE_NULL) {
                    if (value != JsonToken.VALUE_STRING) {
                        if (wrongType == null) {
                            wrongType = what + " has a " + (isVersion ? "Version" : "Time") + " that is not a string: "
                                    + shown(json.getText());
                        }
                    } else if (isVersion) {
                        version = json.getText();
                    } else {
                        String time = rawString(json, text);
                        if (badTime == null && !isGoRfc3339(time)) {
                            badTime = time;
                        }
                    }
                }
                json.skipChildren();
            }
            if (json.nextToken() != null) { // only white space may follow the object, as for the go command
                throw new ArtifactRejectedException(what + " has more after its JSON object");
            }
        } catch (IOException e) {
            throw new ArtifactRejectedException(what + " is not a JSON object");
        }
        if (badTime != null) { // before a wrong type: encoding/json reports that only once it has read the rest
            throw new ArtifactRejectedException(what + " has a Time that is not an RFC 3339 time: " + shown(badTime));
        }
        if (wrongType != null) {
            throw new ArtifactRejectedException(wrongType);
        }
        if (version == null) {
            throw new ArtifactRejectedException(what + " has no string Version field");
        }
        return version;
    }

    /**
     * Whether encoding/json decodes a JSON key into the struct field of that name: the same name under simple case
     * folding (its foldName), where ASCII letters fold with their other case and other letters with their
     * unicode.SimpleFold orbit, so "Ver\u017Fion" (long s) is Version but "Vers\u0131on" (dotless i) is no field:
     * String.equalsIgnoreCase took the Turkish I's for ASCII ones.
     */
    private static boolean namesField(String key, String field) {
        return ModuleZipRules.fold(key).equals(ModuleZipRules.fold(field));
    }

    /** The string fields of the go command's Origin (modfetch/codehost.Origin), which a JSON string or null fills. */
    private static final List<String> ORIGIN_FIELDS =
            List.of("VCS", "URL", "Subdir", "Hash", "TagPrefix", "TagSum", "Ref", "RepoSum");

    /**
     * Reads the value of an answer's "Origin" (past it when this returns) and says what the go command could not decode
     * in it, or null: an Origin that is not an object, or one of its string fields given another JSON type. The go
     * command refuses the whole answer then ("invalid response from proxy"); fields it does not know are skipped, as
     * it skips them.
     */
    private static String originProblem(JsonParser json, JsonToken value, String what) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            String text = value == JsonToken.START_ARRAY ? "[...]" : json.getText();
            json.skipChildren();
            return what + " has an Origin that is not a JSON object: " + shown(text);
        }
        String problem = null;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String key = json.currentName();
            JsonToken field = json.nextToken();
            if (problem == null
                    && field != JsonToken.VALUE_STRING
                    && field != JsonToken.VALUE_NULL
                    && ORIGIN_FIELDS.stream().anyMatch(name -> namesField(key, name))) {
                String text = field == JsonToken.START_OBJECT
                        ? "{...}"
                        : field == JsonToken.START_ARRAY ? "[...]" : json.getText();
                problem = what + " has an Origin." + key + " that is not a string: " + shown(text);
            }
            json.skipChildren();
        }
        return problem;
    }

    /** A piece of untrusted text for a message: quoted, short, control characters escaped. */
    static String shown(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints()
                .limit(40)
                .forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : Character.toString(c)));
        return out.append(text.length() > 40 ? "...\"" : "\"").toString();
    }

    /**
     * A JSON string value as it is written between its quotes, escapes undone by nothing: time.Time's UnmarshalJSON
     * parses those bytes themselves (go.dev/issue/47353), so a Time whose Z is written as a JSON Unicode escape is no
     * time to the go command, though it decodes to one.
     */
    private static String rawString(JsonParser json, String text) throws IOException {
        int start = (int) json.currentTokenLocation().getCharOffset();
        json.getText(); // reads the string to its closing quote
        int end = (int) json.currentLocation().getCharOffset();
        return text.substring(start + 1, end - 1);
    }

    /**
     * Whether the go command takes this as a time, as time.Parse(time.RFC3339, ...) does: a date that exists, hours
     * up to 23, minutes and seconds up to 59, and a zone offset of up to 24 hours and 60 minutes (time.Parse lets
     * through offsets that "some people do write"; java.time's stop at 18 hours).
     */
    private static boolean isGoRfc3339(String time) {
        Matcher m = GO_RFC3339.matcher(time);
        if (!m.matches()) {
            return false;
        }
        int year = Integer.parseInt(m.group(1));
        int month = Integer.parseInt(m.group(2));
        int day = Integer.parseInt(m.group(3));
        if (month < 1
                || month > 12
                || day < 1
                || day > YearMonth.of(year, month).lengthOfMonth()
                || Integer.parseInt(m.group(4)) > 23
                || Integer.parseInt(m.group(5)) > 59
                || Integer.parseInt(m.group(6)) > 59) {
            return false;
        }
        return m.group(9) == null || Integer.parseInt(m.group(9)) <= 24 && Integer.parseInt(m.group(10)) <= 60;
    }
}
