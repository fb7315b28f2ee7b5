package dev.modproxy.proxy.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One GOPROXY request, parsed from the URL path: {@code $mod/@v/list}, {@code $mod/@v/$v.info|.mod|.zip},
 * {@code $mod/@latest}. Only INFO may carry a non-canonical query (a branch or commit), which the
 * cache passes upstream and keeps for a limited time.
 */
public record ProxyRequest(ModulePath module, RequestKind kind, ModuleVersion version, String query) {

    /** Longest raw URL path accepted before any parsing. */
    public static final int MAX_RAW_PATH = 1024;

    /** Besides letters and digits, what the go command allows in a file name element (golang.org/x/mod's fileNameOK). */
    private static final String GO_FILE_NAME_PUNCTUATION = "!#$%&()+,-.=@[]^_{}~ ";

    private static final Pattern BUILD_METADATA = Pattern.compile("v\\d+(\\.\\d+){0,2}(-[0-9A-Za-z.-]+)?\\+.*");

    /** Canonical relative path (no leading slash): the same string names the upstream URL and the storage key. */
    public String relativePath() {
        return module.encoded() + (kind.versioned() ? "/@v/" + versionEncoded() : "") + kind.ending();
    }

    /** True for answers that never change once published: canonical .info, .mod, .zip. */
    public boolean immutable() {
        return version != null;
    }

    private String versionEncoded() {
        return version != null ? version.encoded() : CaseEncoding.encode(query);
    }

    /** Parses the raw (still percent-encoded) URL path of a request. */
    public static ProxyRequest parse(String rawPath) throws InvalidRequestException {
        if (rawPath == null || !rawPath.startsWith("/")) {
            throw new InvalidRequestException(400, "request path must start with '/'");
        }
        if (rawPath.length() > MAX_RAW_PATH) {
            throw new InvalidRequestException(414, "request path longer than " + MAX_RAW_PATH + " characters");
        }
        String path = percentDecode(rawPath).substring(1);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw new InvalidRequestException(400, "control character or backslash in request path");
            }
        }
        if (path.endsWith(RequestKind.LATEST.ending())) {
            return new ProxyRequest(
                    module(path.substring(
                            0, path.length() - RequestKind.LATEST.ending().length())),
                    RequestKind.LATEST,
                    null,
                    null);
        }
        int at = path.indexOf("/@v/");
        if (at < 0) {
            throw new InvalidRequestException(
                    404, "not a GOPROXY endpoint: expected $module/@v/... or $module/@latest");
        }
        ModulePath module = module(path.substring(0, at));
        String file = path.substring(at + "/@v/".length());
        if (file.equals("list")) {
            return new ProxyRequest(module, RequestKind.LIST, null, null);
        }
        RequestKind kind = RequestKind.ofVersionFile(file);
        if (kind == null) {
            throw new InvalidRequestException(
                    404,
                    "unknown GOPROXY file " + CaseEncoding.quote(file)
                            + ": expected list, $version.info, $version.mod or $version.zip");
        }
        String encodedVersion = file.substring(0, file.lastIndexOf('.'));
        String version;
        try {
            version = CaseEncoding.decode(encodedVersion);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(400, "invalid version: " + e.getMessage());
        }
        if (version.length() > ModuleVersion.MAX_LENGTH) {
            // one answer for .info, .mod and .zip, canonical or not: the bound is the proxy's, not the protocol's
            throw new InvalidRequestException(
                    404,
                    "version " + CaseEncoding.quote(version) + " is longer than " + ModuleVersion.MAX_LENGTH
                            + " characters, the most modproxy caches (its cache names files by version): the next "
                            + "GOPROXY entry (direct) may resolve it");
        }
        if (ModuleVersion.isCanonical(version)) {
            try {
                return new ProxyRequest(
                        module, kind, ModuleVersion.parse(version).checkBelongsTo(module), null);
            } catch (IllegalArgumentException e) {
                if (kind != RequestKind.INFO) {
                    throw new InvalidRequestException(400, e.getMessage());
                }
                // the go command asks v2.0.0.info of a module without /v2 and expects v2.0.0+incompatible back
            }
        }
        if (hasBuildMetadata(version)) {
            throw new InvalidRequestException(
                    400,
                    "version " + CaseEncoding.quote(version)
                            + " has build metadata: only +incompatible is part of a module version");
        }
        if (kind != RequestKind.INFO) {
            throw new InvalidRequestException(
                    400,
                    "version " + CaseEncoding.quote(version) + " " + ModuleVersion.canonicalProblem(version) + ": "
                            + kind.name().toLowerCase() + " files exist only for canonical versions like v1.2.3");
        }
        checkQuery(version);
        return new ProxyRequest(module, kind, null, version);
    }

    /** A semantic version (v1, v1.2, v1.2.3, with pre-release) followed by '+' and anything but "incompatible". */
    private static boolean hasBuildMetadata(String version) {
        return BUILD_METADATA.matcher(version).matches() && !version.endsWith("+incompatible");
    }

    private static ModulePath module(String encoded) throws InvalidRequestException {
        try {
            return ModulePath.fromEncoded(encoded);
        } catch (ModulePath.TooLongException e) {
            // as for a version too long to cache: the go command takes the path, and its next GOPROXY entry may serve
            // it
            throw new InvalidRequestException(
                    404,
                    e.getMessage() + ", the most modproxy caches (its cache names files by module path): the next "
                            + "GOPROXY entry (direct) may serve it");
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(400, "invalid module path: " + e.getMessage());
        }
    }

    /**
     * A revision query such as a branch name or commit hash: one file name element, plain characters. The go command
     * also sends queries this proxy does not pass on (a branch "fix#1" or "feat(x)", or one too long once
     * case-encoded): those are not found here (404), so a go command goes on to its next GOPROXY entry, as it does only
     * on 404 or 410; a query no go command sends (a control character, a path separator) is a 400.
     */
    private static void checkQuery(String query) throws InvalidRequestException {
        String problem = null;
        if (query.isEmpty()) {
            problem = "is empty";
        } else if (query.charAt(0) == '.' || query.charAt(0) == '-' || query.endsWith(".")) {
            problem = "starts with '.' or '-' or ends with '.'";
        } else if (!query.chars()
                .allMatch(c -> Character.isLetterOrDigit(c) || GO_FILE_NAME_PUNCTUATION.indexOf(c) >= 0)) {
            problem = "has characters that cannot name a file in a module cache";
        }
        if (problem != null) {
            throw new InvalidRequestException(400, "version query " + CaseEncoding.quote(query) + " " + problem);
        }
        String unsupported = null;
        if (query.length() + query.chars().filter(c -> c >= 'A' && c <= 'Z').count() > ModulePath.MAX_ENCODED_ELEMENT) {
            // stored as its case-encoded file name ("!a" per upper-case letter), which must fit the file system's 255
            unsupported = "is longer than " + ModulePath.MAX_ENCODED_ELEMENT + " characters case-encoded";
        } else if (!query.chars()
                .allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || "-._~+".indexOf(c) >= 0))) {
            unsupported = "has characters other than letters, digits and -._~+";
        }
        if (unsupported != null) {
            throw new InvalidRequestException(
                    404,
                    "version query " + CaseEncoding.quote(query) + " " + unsupported
                            + ": modproxy does not pass such queries upstream; the next GOPROXY entry (direct) may "
                            + "resolve it");
        }
    }

    /**
     * Decodes %XX escapes (the go command sends '!' as %21) and the UTF-8 they and any raw bytes spell; an escaped '/'
     * or NUL is refused, never decoded. The HTTP codec hands over the request line one char per byte (ISO-8859-1), so
     * a client's unescaped "ö" arrives as the two chars of its UTF-8 bytes and is decoded here with the escapes.
     */
    public static String percentDecode(String raw) throws InvalidRequestException {
        if (plainAscii(raw)) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                if (c > 0xff) {
                    throw new InvalidRequestException(400, "request path is not valid UTF-8");
                }
                bytes.write(c);
                continue;
            }
            if (i + 2 >= raw.length()) {
                throw new InvalidRequestException(400, "truncated percent escape in request path");
            }
            int hi = Character.digit(raw.charAt(i + 1), 16);
            int lo = Character.digit(raw.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new InvalidRequestException(400, "malformed percent escape in request path");
            }
            int b = hi * 16 + lo;
            if (b == '/' || b == '\\' || b == 0) {
                throw new InvalidRequestException(400, "encoded '/', '\\' or NUL in request path");
            }
            bytes.write(b);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException(400, "request path is not valid UTF-8");
        }
    }

    /** No escape and no byte above ASCII: the path is its own decoding (every request for a well-formed path). */
    private static boolean plainAscii(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' || c >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
