package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.protocol.CaseEncoding;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.util.regex.Pattern;

/**
 * A request path below /sumdb/&lt;name&gt;/: "latest", "lookup/&lt;module&gt;@&lt;version&gt;" (case-encoded)
 * or a canonical tile path. Lookups and full tiles never change; latest and partial tiles do.
 */
public record SumDbPath(String path, boolean immutable, Tile tile) {

    private static final Pattern LOOKUP = Pattern.compile(
            "lookup/[a-z0-9!~_-][a-z0-9!~_.-]*(/[a-z0-9!~_-][a-z0-9!~_.-]*)*@v[0-9]+\\.[0-9]+\\.[0-9]+(-[a-z0-9!.-]+)?(\\+incompatible)?");
    private static final int MAX_LENGTH = 500;

    /** The database's latest signed tree head. */
    public static final SumDbPath LATEST = new SumDbPath("latest", false, null);

    public static SumDbPath parse(String path) throws SumDbException {
        if (path.length() > MAX_LENGTH) {
            throw new SumDbException("checksum database path too long");
        }
        if (path.equals(LATEST.path())) {
            return LATEST;
        }
        if (path.startsWith("lookup/")) {
            if (!LOOKUP.matcher(path).matches() || path.contains("..")) {
                throw new SumDbException("invalid module@version in " + path);
            }
            checkModuleVersion(path);
            return new SumDbPath(path, true, null);
        }
        if (path.startsWith("tile/")) {
            Tile tile = Tile.parse(path);
            if (tile.height() != SumDbVerifier.TILE_HEIGHT) {
                throw new SumDbException("tile height must be " + SumDbVerifier.TILE_HEIGHT + ": " + path);
            }
            return new SumDbPath(path, !tile.isPartial(), tile);
        }
        throw new SumDbException("not a checksum database path: " + path);
    }

    /** The checks a GOPROXY path gets: a module path the go command accepts, with a canonical version of its major. */
    private static void checkModuleVersion(String lookup) throws SumDbException {
        int at = lookup.lastIndexOf('@');
        try {
            ModulePath module = ModulePath.fromEncoded(lookup.substring("lookup/".length(), at));
            ModuleVersion.parse(CaseEncoding.decode(lookup.substring(at + 1))).checkBelongsTo(module);
        } catch (IllegalArgumentException e) {
            throw new SumDbException("invalid module@version in " + lookup + ": " + e.getMessage());
        }
    }

    /** Refuses an answer that is malformed or not signed by the database's key. */
    public void checkAnswer(byte[] data, VerifierKey key) throws SumDbException {
        if (path.equals("latest")) {
            TreeHead.parse(SignedNote.verifiedText(data, key));
        } else if (tile == null) {
            SignedNote.verifiedText(LookupAnswer.parse(data).signedTree(), key);
        } else if (!tile.isData() && data.length != tile.width() * LogHash.SIZE) {
            throw new SumDbException(path + " has " + data.length + " bytes, want " + tile.width() * LogHash.SIZE);
        } else if (tile.isData() && data.length == 0) {
            throw new SumDbException(path + " is empty");
        }
    }

    /** The module path a lookup asks about (decoded), or null for latest and tiles. */
    public String lookupModule() {
        if (!path.startsWith("lookup/")) {
            return null;
        }
        return CaseEncoding.decode(path.substring("lookup/".length(), path.lastIndexOf('@')));
    }

    /** The Content-Type the database itself uses for this answer. */
    public String contentType() {
        return tile != null && !tile.isData() ? "application/octet-stream" : "text/plain; charset=UTF-8";
    }
}
