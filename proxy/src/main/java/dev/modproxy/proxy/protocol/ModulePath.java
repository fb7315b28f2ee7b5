package dev.modproxy.proxy.protocol;

import java.util.Locale;
import java.util.Set;

/**
 * A validated module path, following the rules of the go command's module path check: ASCII
 * letters, digits and {@code -._~} in slash-separated elements, a dotted lower-case first element,
 * and a well-formed major version suffix ({@code /vN} or gopkg.in's {@code .vN}).
 */
public final class ModulePath {

    /**
     * Longest case-encoded path this proxy caches; the go command has no such bound. The cache stores a module's
     * files under its encoded path, so the longest key is this, "/@v/" and a version file name of up to 254
     * characters ({@link ModuleVersion#MAX_LENGTH}): 658 characters, well within an S3 key's 1,024 bytes and a
     * local path's 4,096 under the storage directory.
     */
    public static final int MAX_ENCODED_LENGTH = 400;
    /** Longest encoded element: one directory name on disk, within the file system's 255 bytes a name. */
    public static final int MAX_ENCODED_ELEMENT = 200;

    /**
     * A path over {@link #MAX_ENCODED_LENGTH} or with an element over {@link #MAX_ENCODED_ELEMENT}: a bound of this
     * proxy's storage, not a path the go command refuses.
     */
    public static final class TooLongException extends IllegalArgumentException {
        TooLongException(String message) {
            super(message);
        }
    }

    private static final Set<String> WINDOWS_RESERVED = Set.of(
            "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1",
            "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9");

    private final String path;
    private final String encoded;
    private final String pathMajor;

    private ModulePath(String path, String encoded, String pathMajor) {
        this.path = path;
        this.encoded = encoded;
        this.pathMajor = pathMajor;
    }

    /** Validates a module path as written in go.mod. */
    public static ModulePath of(String path) {
        String major = check(path);
        String encoded = CaseEncoding.encode(path);
        checkEncodedLength(encoded);
        return new ModulePath(path, encoded, major);
    }

    /** Validates a case-encoded path as it appears in a GOPROXY URL. */
    public static ModulePath fromEncoded(String encoded) {
        checkEncodedLength(encoded);
        return of(CaseEncoding.decode(encoded));
    }

    /** The path as written in go.mod, with upper-case letters. */
    public String path() {
        return path;
    }

    /** The case-encoded form used in URLs and storage keys. */
    public String encoded() {
        return encoded;
    }

    /** The major version suffix: "" (none), "/v2", or for gopkg.in ".v1" (possibly "-unstable"). */
    public String pathMajor() {
        return pathMajor;
    }

    /** Returns the path major suffix, failing with the reason when the path is invalid. */
    private static String check(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("empty module path");
        }
        if (path.charAt(0) == '-') {
            throw new IllegalArgumentException("module path " + CaseEncoding.quote(path) + " has a leading dash");
        }
        if (path.charAt(0) == '/') {
            throw new IllegalArgumentException("module path " + CaseEncoding.quote(path) + " has a leading slash");
        }
        if (path.charAt(path.length() - 1) == '/') {
            throw new IllegalArgumentException("module path " + CaseEncoding.quote(path) + " has a trailing slash");
        }
        String[] elements = path.split("/", -1);
        for (String element : elements) {
            checkElement(path, element);
        }
        String first = elements[0];
        if (first.indexOf('.') < 0) {
            throw new IllegalArgumentException(
                    "module path " + CaseEncoding.quote(path) + ": missing dot in first path element");
        }
        for (int i = 0; i < first.length(); i++) {
            char c = first.charAt(i);
            if (!(c == '-' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                throw new IllegalArgumentException(
                        "module path " + CaseEncoding.quote(path) + ": invalid char '" + c + "' in first path element");
            }
        }
        String major = splitPathMajor(path);
        if (major == null) {
            throw new IllegalArgumentException(
                    "module path " + CaseEncoding.quote(path) + ": invalid major version suffix");
        }
        return major;
    }

    /** Messages are built only on failure ({@link #where}): this runs for every element of every request. */
    private static void checkElement(String path, String element) {
        if (element.isEmpty()) {
            throw new IllegalArgumentException(where(path) + ": empty path element");
        }
        if (element.charAt(0) == '.' && element.chars().allMatch(c -> c == '.')) {
            throw new IllegalArgumentException(where(path) + ": invalid path element " + CaseEncoding.quote(element));
        }
        if (element.charAt(0) == '.') {
            throw new IllegalArgumentException(where(path) + ": leading dot in path element");
        }
        if (element.charAt(element.length() - 1) == '.') {
            throw new IllegalArgumentException(where(path) + ": trailing dot in path element");
        }
        int upper = 0;
        for (int i = 0; i < element.length(); i++) {
            char c = element.charAt(i);
            boolean ok = c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~'
                    || (c >= '0' && c <= '9')
                    || (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z');
            if (!ok) {
                throw new IllegalArgumentException(
                        where(path) + ": invalid char " + CaseEncoding.quote(String.valueOf(c)));
            }
            if (c >= 'A' && c <= 'Z') {
                upper++;
            }
        }
        int dot = element.indexOf('.');
        String shortName = dot >= 0 ? element.substring(0, dot) : element;
        if (reservedOnWindows(shortName)) {
            throw new IllegalArgumentException(
                    where(path) + ": " + CaseEncoding.quote(shortName) + " is a reserved file name");
        }
        int tilde = shortName.lastIndexOf('~');
        if (tilde >= 0
                && tilde < shortName.length() - 1
                && shortName.substring(tilde + 1).chars().allMatch(c -> c >= '0' && c <= '9')) {
            // the go command refuses these (they look like Windows 8.3 short names), so no module has one
            throw new IllegalArgumentException(where(path) + ": trailing tilde and digits in path element");
        }
        if (element.length() + upper > MAX_ENCODED_ELEMENT) { // the case encoding adds one '!' per upper-case letter
            throw new TooLongException(
                    where(path) + ": path element longer than " + MAX_ENCODED_ELEMENT + " characters case-encoded");
        }
    }

    /**
     * Whether a path element's name before its first dot is one Windows reserves ({@code CON}, {@code NUL},
     * {@code COM1}, ...) in any case: the go command refuses such an element in module paths and in the file paths of
     * module zips alike.
     */
    public static boolean reservedOnWindows(String shortName) {
        // every reserved name has 3 or 4 letters: skip the upper-casing for all other names
        return (shortName.length() == 3 || shortName.length() == 4)
                && WINDOWS_RESERVED.contains(shortName.toUpperCase(Locale.ROOT));
    }

    private static String where(String path) {
        return "module path " + CaseEncoding.quote(path);
    }

    private static void checkEncodedLength(String encoded) {
        if (encoded.length() > MAX_ENCODED_LENGTH) {
            throw new TooLongException("module path longer than " + MAX_ENCODED_LENGTH + " characters");
        }
    }

    /** The major suffix of the path, or null when the suffix is malformed (e.g. "/v1", "/v0", "/v2.0"). */
    static String splitPathMajor(String path) {
        if (path.startsWith("gopkg.in/")) {
            return splitGopkgIn(path);
        }
        int i = path.length();
        boolean dot = false;
        while (i > 0 && (Character.isDigit(path.charAt(i - 1)) || path.charAt(i - 1) == '.')) {
            dot |= path.charAt(i - 1) == '.';
            i--;
        }
        if (i <= 1 || i == path.length() || path.charAt(i - 1) != 'v' || path.charAt(i - 2) != '/') {
            return "";
        }
        String major = path.substring(i - 2);
        if (dot || major.length() <= 2 || major.charAt(2) == '0' || major.equals("/v1")) {
            return null;
        }
        return major;
    }

    private static String splitGopkgIn(String path) {
        int i = path.length();
        if (path.endsWith("-unstable")) {
            i -= "-unstable".length();
        }
        while (i > 0 && Character.isDigit(path.charAt(i - 1))) {
            i--;
        }
        if (i <= 1 || path.charAt(i - 1) != 'v' || path.charAt(i - 2) != '.') {
            return null;
        }
        String major = path.substring(i - 2);
        if (major.length() <= 2 || (major.charAt(2) == '0' && !major.equals(".v0"))) {
            return null;
        }
        return major;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModulePath other && other.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return path;
    }
}
