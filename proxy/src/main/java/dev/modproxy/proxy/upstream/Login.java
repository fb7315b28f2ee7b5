package dev.modproxy.proxy.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A Basic login as the go command sends it, and what it is sent or written as, to be masked wherever an answer or a
 * refusal is shown. One reading for every login this proxy sends: the userinfo of an upstream's URL
 * ({@code https://user:password@mirror} in MODPROXY_UPSTREAM, sent to that upstream as {@code Authorization}), the
 * userinfo of an egress proxy's URL (HTTPS_PROXY, HTTP_PROXY, sent to that proxy as {@code Proxy-Authorization}), and a
 * netrc's {@code login}/{@code password} (MODPROXY_NETRC, taken as written).
 *
 * <p>A URL's userinfo is read as Go's net/url reads it (url.Parse, parseAuthority): split at its first raw ':' into
 * user and password, then each percent-decoded on its own ('+' stays '+'), so a user written {@code dev%3Aops} is the
 * user "dev:ops", and the password is what follows the first raw ':' (itself possibly holding ':'). No ':' at all is
 * a user without a password. It is sent as net/http sends it ({@code req.SetBasicAuth(u.User.Username(), password)}
 * in client.go, and {@code connectMethod.proxyAuth} in transport.go): {@code Basic base64(user ":" password)} of the
 * decoded bytes, a missing password empty, so {@code https://token@mirror} sends {@code token:}.
 */
final class Login {

    private final String user;
    private final boolean withPassword;
    private final String authorization;
    private final List<String> secrets;

    private Login(String user, boolean withPassword, String authorization, List<String> secrets) {
        this.user = user;
        this.withPassword = withPassword;
        this.authorization = authorization;
        this.secrets = secrets;
    }

    /**
     * The raw (still percent-encoded) userinfo of a URL, read as Go reads it.
     *
     * @throws IllegalArgumentException for a '%' not followed by two hexadecimal digits (Go's url.Parse refuses it
     *     too); its message never repeats the login, the caller names the setting
     */
    static Login fromUserInfo(String rawUserInfo) {
        Objects.requireNonNull(rawUserInfo);
        int colon = rawUserInfo.indexOf(':');
        String rawUser = colon < 0 ? rawUserInfo : rawUserInfo.substring(0, colon);
        String rawPassword = colon < 0 ? "" : rawUserInfo.substring(colon + 1);
        byte[] user = unescape(rawUser);
        byte[] password = unescape(rawPassword);
        return login(user, password, colon >= 0, Stream.of(rawUserInfo, rawPassword));
    }

    /** A login given as it is sent, not percent-encoded (a netrc's {@code login} and {@code password}). */
    static Login of(String user, String password) {
        return login(
                user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8), true, Stream.of());
    }

    private static Login login(byte[] user, byte[] password, boolean withPassword, Stream<String> written) {
        ByteArrayOutputStream pair = new ByteArrayOutputStream();
        pair.writeBytes(user);
        pair.write(':');
        pair.writeBytes(password);
        String token = Base64.getEncoder().encodeToString(pair.toByteArray());
        String userText = new String(user, StandardCharsets.UTF_8);
        String passwordText = new String(password, StandardCharsets.UTF_8);
        // a login of one part may well be a token: then the user is a secret too
        List<String> secrets = Stream.concat(
                        Stream.of(token, userText + ":" + passwordText, passwordText, withPassword ? "" : userText),
                        written)
                .filter(secret -> !secret.isEmpty())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        return new Login(userText, withPassword, "Basic " + token, secrets);
    }

    /** The user, decoded: shown in a refusal when the login has a password (never the password). */
    String user() {
        return user;
    }

    /** Whether the login has a password, even an empty one ({@code user:}); without one, the user may be a token. */
    boolean withPassword() {
        return withPassword;
    }

    /** The header's value: {@code Basic base64(user:password)}. */
    String authorization() {
        return authorization;
    }

    /**
     * What the login is sent or written as (the base64 token, the userinfo as written, {@code user:password}, the
     * password decoded and as written, the user when it is the whole login), longest first, so none is masked only in
     * part.
     */
    List<String> secrets() {
        return secrets;
    }

    /** Never the password or the header. */
    @Override
    public String toString() {
        return withPassword ? "Login[user=" + user + ", password=xxxxx]" : "Login[xxxxx]";
    }

    /**
     * Go's unescape in encodeUserPassword mode: each %XX one byte, any other character its UTF-8 bytes, '+' a '+'.
     */
    private static byte[] unescape(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 1 < raw.length() ? hexDigit(raw.charAt(i + 1)) : -1;
                int low = i + 2 < raw.length() ? hexDigit(raw.charAt(i + 2)) : -1;
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("its login has a '%' that is not followed by two hexadecimal"
                            + " digits (a '%' in a user or password is written %25)");
                }
                bytes.write(high * 16 + low);
                i += 3;
            } else {
                int codePoint = raw.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(codePoint);
            }
        }
        return bytes.toByteArray();
    }

    /** An ASCII hexadecimal digit's value, else -1 (Character.digit would take other scripts' digits too). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
