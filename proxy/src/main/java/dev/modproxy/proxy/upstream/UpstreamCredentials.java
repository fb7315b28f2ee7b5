package dev.modproxy.proxy.upstream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Per-host logins for private GOPROXY upstreams (an internal Artifactory or Athens), read from a netrc file as the
 * go command reads $NETRC: "machine HOST login USER password SECRET". Each https request to a host the file names
 * carries its login as Basic auth from the first request on, as the go command sends it; plain-http requests never
 * do (the go command's rule too, for GOINSECURE hosts), so a password never crosses the network in clear text, and
 * hosts the file does not name never get one, so a mirror that redirects to a CDN never hands the CDN a password. Sent by {@link Upstream} itself, not
 * through the JDK client's authenticator, which sends a refused login four times a request (an account lock-out
 * comes sooner) and turns the 401 into an error that says neither which host nor which login. Nothing here prints
 * a password. A login is sent and masked as {@link Login#of} says: as written, not percent-decoded.
 */
public final class UpstreamCredentials {

    private final Map<String, Login> machines;

    private UpstreamCredentials(Map<String, Login> machines) {
        this.machines = machines;
    }

    public static UpstreamCredentials none() {
        return new UpstreamCredentials(Map.of());
    }

    /** Reads a netrc file; the message of a refusal names the file and the line's problem, never a password. */
    public static UpstreamCredentials fromNetrc(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    static UpstreamCredentials parse(String netrc, String source) {
        Map<String, Login> machines = new TreeMap<>();
        String[] tokens =
                netrc.strip().isEmpty() ? new String[0] : netrc.strip().split("\\s+");
        String machine = null;
        String login = null;
        String password = null;
        for (int i = 0; i < tokens.length; i++) {
            String token = tokens[i];
            switch (token) {
                case "machine", "default" -> {
                    add(machines, machine, login, password);
                    machine = token.equals("machine") ? value(tokens, ++i, "machine", source) : null;
                    login = null;
                    password = null;
                }
                case "login" -> login = value(tokens, ++i, "login", source);
                case "password" -> password = value(tokens, ++i, "password", source);
                case "account", "macdef" -> i++;
                default -> {
                    // unknown words are skipped, as the go command skips them
                }
            }
        }
        add(machines, machine, login, password);
        return new UpstreamCredentials(Map.copyOf(machines));
    }

    private static void add(Map<String, Login> machines, String machine, String login, String password) {
        if (machine != null && login != null && password != null) {
            machines.putIfAbsent(machine.toLowerCase(Locale.ROOT), Login.of(login, password));
        }
    }

    private static String value(String[] tokens, int i, String keyword, String source) {
        if (i >= tokens.length) {
            throw new IllegalArgumentException(source + ": '" + keyword + "' has no value");
        }
        return tokens[i];
    }

    /** The Authorization header for a request to host, if the file names it. */
    Optional<String> authorization(String host) {
        return login(host).map(Login::authorization);
    }

    /**
     * What host's login is sent or written as (the base64 token, "user:password", the password), longest first, so a
     * refusal that echoes it is masked whole; empty if the file does not name host.
     */
    List<String> secrets(String host) {
        return login(host).map(Login::secrets).orElse(List.of());
    }

    private Optional<Login> login(String host) {
        return Optional.ofNullable(host == null ? null : machines.get(host.toLowerCase(Locale.ROOT)));
    }

    /** The user name of host's login, for a refusal's reason (never the password), if the file names host. */
    Optional<String> user(String host) {
        return login(host).map(Login::user);
    }

    /** The hosts with a login, for the start-up log line. */
    public java.util.Set<String> hosts() {
        return machines.keySet();
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        machines.forEach((host, login) -> shown.put(host, login.user() + ":<redacted>"));
        return "netrc logins for " + machines.size() + " host(s) " + shown;
    }
}
