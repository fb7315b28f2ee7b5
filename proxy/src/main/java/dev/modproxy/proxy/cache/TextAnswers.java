package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ModuleVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Reading small text answers (.info, .mod, list, @latest) safely for checks. */
final class TextAnswers {

    /** Go's time.RFC3339 as its JSON decoding accepts it: seconds required, fraction optional. */
    private static final Pattern RFC3339 =
            Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})");

    private TextAnswers() {
    }

    /** The file as UTF-8 text; binary content, NUL bytes and HTML pages are rejected. */
    static String readText(Path file, String what) throws ArtifactRejectedException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ArtifactRejectedException("cannot read staged " + what + ": " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ArtifactRejectedException(what + " is not UTF-8 text");
        }
        if (text.indexOf('\0') >= 0) {
            throw new ArtifactRejectedException(what + " contains NUL bytes");
        }
        if (text.stripLeading().startsWith("<")) {
            throw new ArtifactRejectedException(what + " is an HTML/XML page, not a GOPROXY answer");
        }
        return text;
    }

    /**
     * A version list as the go command reads it: every line that is not blank starts with a
     * semantic version (the go command would skip other lines; here they mean a broken answer,
     * such as HTTP chunk framing stored as text).
     */
    static void checkVersionList(String text) throws ArtifactRejectedException {
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            String stripped = line.strip();
            if (stripped.isEmpty()) {
                continue;
            }
            String first = stripped.split("[ \t]+", 2)[0];
            if (!ModuleVersion.isSemver(first)) {
                throw new ArtifactRejectedException("version list line " + number + " is not a version: "
                        + shown(first));
            }
        }
    }

    /**
     * The "Version" field of a JSON .info or @latest answer; a "Time" that is not an RFC 3339 string
     * is refused too, since the go command rejects the whole answer over it.
     */
    static String jsonVersion(Path file, String what) throws ArtifactRejectedException {
        String text = readText(file, what);
        JsonObject json;
        try {
            json = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw new ArtifactRejectedException(what + " is not a JSON object");
        }
        Object version = json.getValue("Version");
        if (!(version instanceof String s)) {
            throw new ArtifactRejectedException(what + " has no string Version field");
        }
        Object time = json.getValue("Time");
        if (time != null && !(time instanceof String t && isRfc3339(t))) {
            throw new ArtifactRejectedException(what + " has a Time that is not an RFC 3339 time: " + time);
        }
        return s;
    }

    /** A piece of untrusted text for a message: quoted, short, control characters escaped. */
    private static String shown(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().limit(40).forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : Character.toString(c)));
        return out.append(text.length() > 40 ? "...\"" : "\"").toString();
    }

    private static boolean isRfc3339(String time) {
        if (!RFC3339.matcher(time).matches()) {
            return false;
        }
        try {
            OffsetDateTime.parse(time);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
