package dev.modproxy.proxy.cache;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading small text answers (.info, .mod, list, @latest) safely for checks. */
final class TextAnswers {

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

    /** The "Version" field of a JSON .info or @latest answer. */
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
        return s;
    }
}
