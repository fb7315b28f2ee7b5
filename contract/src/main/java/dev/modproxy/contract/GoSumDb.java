package dev.modproxy.contract;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A checksum database chosen with GOSUMDB syntax, read as the go command reads it (cmd/go/internal/modfetch dbDial):
 * "off"; "sum.golang.org", whose key the go command knows; "sum.golang.google.cn", its name for sum.golang.org served
 * from its mirror in China; or a verifier key, "name+hash+key" (golang.org/x/mod/sumdb/note), the only way to name
 * another database; the key or sum.golang.org may be followed, after any run of blanks, by the database's http(s) URL.
 * Without a URL the database is at https://name. The proxy reads MODPROXY_SUMDB with it and the operator checks
 * spec.sumdb by it, so a value the operator takes is one the proxy starts with. Checking signatures with the key is
 * the proxy's part; this reads and checks the key itself (its hash, in either case as strconv.ParseUint reads it,
 * and that it is an Ed25519 key).
 *
 * <p>A database's name is host[:port][/path], as the go command requires ("invalid sumdb name (must be
 * host[/path])": url.Parse("https://" + name) must give a host, a path and nothing more, no '?', '#', '@', trailing
 * '/', backslash or '%' escape but of a non-ASCII byte in the host): here a host of ASCII letters, digits, '-' and
 * dots; a port 1-65535 without leading zeros, for a database on another port than 443 (sum.corp.example:8443,
 * reached at https://sum.corp.example:8443 and through a proxy at /sumdb/sum.corp.example:8443/); path elements of
 * ASCII letters, digits, '_', '~', '-' and '.', none empty or starting with '.'. Some names the go command takes
 * are refused here, with a message that says what a name may hold, because the name is also a path element of this
 * proxy's /sumdb/&lt;name&gt;/ routes and of its storage, and the host of the https://name it asks: an element
 * "..", "." or empty ("/../", "//": a path that escapes, or that a router resolves away) or starting with '.', an
 * empty port, port 0 or above 65535, a port with leading zeros, '_' in the host (java.net.URI takes no such host),
 * an IPv6 literal, a non-ASCII host or a '%' escape of one, and the sub-delimiters ("!$&'()*,;=") URL syntax allows
 * in a host or path.
 */
public final class GoSumDb {

    public static final String DEFAULT = "sum.golang.org";
    public static final String OFF = "off";
    public static final String CHINA_MIRROR = "sum.golang.google.cn";
    public static final String SUM_GOLANG_ORG_KEY =
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    /**
     * A database's name, host[:port][/path] (see the class comment for what is left out): a port 1-65535 spelled out
     * digit by digit, as a regular expression the three engines read alike has no arithmetic.
     */
    private static final String NAME = "[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*"
            + "(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
            + "(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*";

    /**
     * What {@link #parse} takes, as a regular expression RE2 (the CRD's rule on spec.sumdb) and java.util.regex read
     * alike: the shape, not the key's hash, nor that the URL parses (GoSumDbTest checks each sample it takes that
     * {@link #parse} refuses is one of those). No \s: RE2's leaves out \v, which java.util.regex and the parser's
     * split count as a blank, so the API server took a URL with a \v in it, two words to the proxy. A bare name other
     * than the two above, or a key of another shape, once
     * passed the CRD and stopped the proxy at start: a crash loop under a cache the API server had taken.
     */
    public static final String PATTERN = "^(off|sum\\.golang\\.google\\.cn|(sum\\.golang\\.org|"
            + NAME + "\\+[0-9A-Fa-f]{8}\\+[A-Za-z0-9+/]{44})"
            + "([ \\t]+https?://[^\\x00-\\x20\\x7f/?#]+(/[^\\x00-\\x20\\x7f?#]*)?)?)$";

    /** What {@link #PATTERN} takes, in words, for the CRD rule's message after "must be ". */
    public static final String PATTERN_WORDS = "off, sum.golang.org, sum.golang.google.cn, or another checksum "
            + "database's verifier key (name+hash+key, as its operator publishes it, the name host[:port][/path]); "
            + "sum.golang.org or a key may be "
            + "followed by spaces or tabs and the database's http(s) URL without a query; e.g. "
            + "sum.golang.org https://goproxy.cn/sumdb/sum.golang.org";

    private static final Pattern DATABASE_NAME = Pattern.compile(NAME);
    private static final String COPY_THE_KEY = "; copy name+hash+key whole as the database's operator publishes it";

    /** A value the proxy cannot use; the message starts with the value, quoted, and says what is wrong with it. */
    public static final class InvalidException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidException(String message) {
            super(message);
        }
    }

    private final String text;
    private final VerifierKey key;
    private final URI url;

    private GoSumDb(String text, VerifierKey key, URI url) {
        this.text = text;
        this.key = key;
        this.url = url;
    }

    /**
     * Reads {@code setting}; null or blank is {@link #DEFAULT}, as an unset GOSUMDB is.
     *
     * @throws InvalidException e.g. {@code "sum.corp+eedc9b3e+AWia..." has the verifier key for sum.corp, which does
     *     not match its hash eedc9b3e; copy name+hash+key whole ...}, a URL's login and query never shown
     */
    public static GoSumDb parse(String setting) {
        String text = setting == null || setting.isBlank() ? DEFAULT : setting.strip();
        if (text.equals(OFF)) {
            return new GoSumDb(text, null, null);
        }
        String effective = text.equals(CHINA_MIRROR) ? DEFAULT + " https://" + CHINA_MIRROR : text;
        // the go command splits on any run of blanks (strings.Fields)
        String[] fields = effective.split("\\s+");
        String where = "\"" + Redacted.words(text) + "\"";
        if (fields.length > 2) {
            throw new InvalidException(where + " has more than a verifier key and one URL");
        }
        if (!fields[0].equals(DEFAULT) && fields[0].indexOf('+') < 0) {
            throw new InvalidException(where + " is not " + OFF + ", " + DEFAULT + ", " + CHINA_MIRROR
                    + " or a checksum database's verifier key (name+hash+key)" + COPY_THE_KEY);
        }
        VerifierKey key;
        try {
            key = VerifierKey.parse(fields[0].equals(DEFAULT) ? SUM_GOLANG_ORG_KEY : fields[0]);
        } catch (InvalidException e) {
            throw new InvalidException(where + " has " + e.getMessage() + COPY_THE_KEY);
        }
        if (!DATABASE_NAME.matcher(key.name()).matches()) {
            throw new InvalidException(where + " names the database " + key.name()
                    + ", which is not host[:port][/path] (a host of letters, digits, '-' and dots, a port "
                    + "1-65535, path elements of letters, digits and '-', '_', '~', '.', none empty or starting with "
                    + "'.')");
        }
        URI url = fields.length == 2 ? url(fields[1], where) : URI.create("https://" + key.name());
        return new GoSumDb(text, key, url);
    }

    private static URI url(String value, String where) {
        URI url;
        try {
            url = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (URISyntaxException e) {
            throw new InvalidException(where + " has a URL that does not parse (" + e.getReason() + ")");
        }
        if (!("https".equals(url.getScheme()) || "http".equals(url.getScheme()))
                || url.getHost() == null
                || url.getRawQuery() != null
                || url.getRawFragment() != null) {
            throw new InvalidException(where + " has a URL that is not http(s)://host[/path] without a query");
        }
        return url;
    }

    public boolean isOff() {
        return key == null;
    }

    /** The database's verifier key; empty when off. */
    public Optional<VerifierKey> key() {
        return Optional.ofNullable(key);
    }

    /** Where the database itself answers, without a trailing slash; empty when off. */
    public Optional<URI> url() {
        return Optional.ofNullable(url);
    }

    /** The value as written (trimmed), a URL's login and query hidden. */
    @Override
    public String toString() {
        return Redacted.words(text);
    }

    /**
     * A note verifier key, "name+hash+key": the signer's name, the first four bytes of SHA-256(name + "\n" + key) in
     * hex, and the key in base64: an algorithm byte (1, Ed25519) and the 32-byte Ed25519 public key. Read as
     * golang.org/x/mod/sumdb/note.NewVerifier reads it.
     */
    public static final class VerifierKey {

        private static final byte ALG_ED25519 = 1;

        private final String text;
        private final String name;
        private final int hash;
        private final byte[] ed25519;

        private VerifierKey(String text, String name, int hash, byte[] ed25519) {
            this.text = text;
            this.name = name;
            this.hash = hash;
            this.ed25519 = ed25519;
        }

        /**
         * @throws InvalidException saying what is wrong after "has ": {@code the verifier key for sum.corp, which
         *     does not match its hash eedc9b3e}
         */
        public static VerifierKey parse(String text) {
            String[] parts = text.split("\\+", 3);
            if (parts.length != 3) {
                throw new InvalidException("a verifier key that is not name+hash+key");
            }
            String name = parts[0];
            if (!isValidName(name)) {
                throw new InvalidException("a verifier key whose name is empty or has a blank or '+'");
            }
            String of = "the verifier key for " + name + ", ";
            // note.NewVerifier: 8 characters that strconv.ParseUint(hash, 16, 32) reads, in either case
            if (!parts[1].matches("[0-9A-Fa-f]{8}")) {
                throw new InvalidException(of + "whose hash " + parts[1] + " is not 8 hex digits");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(parts[2]);
            } catch (IllegalArgumentException e) {
                throw new InvalidException(of + "whose key is not base64");
            }
            if (key.length != 33 || key[0] != ALG_ED25519) {
                throw new InvalidException(of + "which is not an Ed25519 key (33 bytes, the first 1)");
            }
            int hash = hash(name, key);
            if (hash != Integer.parseUnsignedInt(parts[1], 16)) {
                throw new InvalidException(of + "which does not match its hash " + parts[1]);
            }
            return new VerifierKey(text, name, hash, Arrays.copyOfRange(key, 1, key.length));
        }

        /** A signer's name as a note takes it: not empty, no blank (Unicode's either) or '+', encodable in UTF-8. */
        public static boolean isValidName(String name) {
            return !name.isEmpty()
                    && name.codePoints()
                            .noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '+')
                    && StandardCharsets.UTF_8.newEncoder().canEncode(name);
        }

        private static int hash(String name, byte[] algorithmAndKey) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update((name + "\n").getBytes(StandardCharsets.UTF_8));
                sha.update(algorithmAndKey);
                return ByteBuffer.wrap(sha.digest()).getInt();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }

        public String name() {
            return name;
        }

        /** The key's hash, as in the signatures it makes. */
        public int hash() {
            return hash;
        }

        /** The 32-byte Ed25519 public key. */
        public byte[] ed25519PublicKey() {
            return ed25519.clone();
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
