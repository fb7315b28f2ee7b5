package dev.modproxy.proxy.sumdb;

import dev.modproxy.contract.Redacted;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A checksum database chosen with GOSUMDB syntax: "off", "sum.golang.org", or
 * "&lt;verifier key&gt; [&lt;url&gt;]" where the key may also be the bare name sum.golang.org.
 * Without a URL the database is at https://&lt;name&gt;.
 */
public final class GoSumDbSetting {

    public static final String DEFAULT = "sum.golang.org";
    public static final String SUM_GOLANG_ORG_KEY =
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    private static final Pattern DATABASE_NAME =
            Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*");

    private final String text;
    private final VerifierKey key;
    private final URI url;

    private GoSumDbSetting(String text, VerifierKey key, URI url) {
        this.text = text;
        this.key = key;
        this.url = url;
    }

    public static GoSumDbSetting parse(String setting) throws SumDbException {
        String text = setting == null || setting.isBlank() ? DEFAULT : setting.trim();
        if (text.equals("off")) {
            return new GoSumDbSetting(text, null, null);
        }
        // The go command reads this name as sum.golang.org served from its mirror in China.
        String effective = text.equals("sum.golang.google.cn") ? "sum.golang.org https://sum.golang.google.cn" : text;
        String[] fields = effective.split("\\s+");
        if (fields.length > 2) {
            throw new SumDbException("invalid GOSUMDB " + quote(text) + ": want a key and at most one URL");
        }
        String keyText = fields[0].equals(DEFAULT) ? SUM_GOLANG_ORG_KEY : fields[0];
        VerifierKey key;
        try {
            key = VerifierKey.parse(keyText);
        } catch (SumDbException e) {
            throw new SumDbException("invalid GOSUMDB " + quote(text) + ": " + e.getMessage());
        }
        if (!DATABASE_NAME.matcher(key.name()).matches()) {
            throw new SumDbException("invalid GOSUMDB " + quote(text) + ": database name must be host[/path]");
        }
        URI url = fields.length == 2 ? parseUrl(fields[1], text) : URI.create("https://" + key.name());
        return new GoSumDbSetting(text, key, url);
    }

    private static URI parseUrl(String value, String text) throws SumDbException {
        try {
            URI url = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            if (!("https".equals(url.getScheme()) || "http".equals(url.getScheme()))
                    || url.getHost() == null
                    || url.getQuery() != null
                    || url.getFragment() != null) {
                throw new SumDbException("invalid GOSUMDB " + quote(text) + ": URL must be http(s)://host[/path]");
            }
            return url;
        } catch (URISyntaxException e) {
            throw new SumDbException("invalid GOSUMDB " + quote(text) + ": bad URL " + Redacted.url(value));
        }
    }

    private static String quote(String text) {
        return "\"" + Redacted.words(text) + "\"";
    }

    public boolean isOff() {
        return key == null;
    }

    /** The database's name, as in /sumdb/&lt;name&gt;/ paths. */
    public Optional<String> name() {
        return Optional.ofNullable(key).map(VerifierKey::name);
    }

    public Optional<VerifierKey> key() {
        return Optional.ofNullable(key);
    }

    /** The database's URL for logs: its password, if any, hidden. */
    public Optional<String> shownUrl() {
        return url().map(u -> Redacted.url(u.toString()));
    }

    /** Where the database itself answers, without a trailing slash; a login in it is sent as Basic auth. */
    public Optional<URI> url() {
        return Optional.ofNullable(url);
    }

    @Override
    public String toString() {
        return Redacted.words(text);
    }
}
