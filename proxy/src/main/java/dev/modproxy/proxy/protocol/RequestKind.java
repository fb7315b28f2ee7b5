package dev.modproxy.proxy.protocol;

import java.util.Locale;

/**
 * What each kind of GOPROXY request is, in one place: its path, the Content-Type it is answered
 * with, the most an upstream may send for it, whether it can change, whether the memory tier keeps
 * it, and whether it is a large download. What a valid answer of each kind looks like is checked in
 * one switch too ({@code cache.AnswerChecks}); which kinds the checksum database vouches for is
 * {@link #checksummed()}.
 */
public enum RequestKind {

    /**
     * {@code $module/@v/list}: the known versions, one a line. Mutable: fresh for MODPROXY_MUTABLE_TTL,
     * then served stale while it is refreshed. Filtered: the lines that name no version are dropped.
     */
    LIST("/@v/list", "text/plain; charset=utf-8", 16L << 20, false, false),

    /**
     * {@code $module/@latest}: JSON naming the newest version. Mutable, like list. Checked: names a
     * canonical version of this module's major.
     */
    LATEST("/@latest", "application/json", 64 << 10, false, false),

    /**
     * {@code $module/@v/$version.info}: JSON with Version and Time. Immutable for a canonical version;
     * a branch or commit query is mutable. Checked: names exactly the canonical version asked for, or
     * (a query) some canonical version of this module's major. Kept in memory when immutable.
     */
    INFO(".info", "application/json", 64 << 10, true, false),

    /**
     * {@code $module/@v/$version.mod}: the go.mod. Immutable; canonical versions only. Checked: a go.mod
     * the go command reads, naming this module if it names one; then the checksum database. Kept in memory.
     * Its limit is the go command's own for a go.mod.
     */
    MOD(".mod", "text/plain; charset=utf-8", 16L << 20, true, false),

    /**
     * {@code $module/@v/$version.zip}: the module's files. Immutable; canonical versions only. Large:
     * streamed to its first client while it is stored, with the longer download deadline. Checked: the
     * go command's zip rules (names under module@version/, sizes, CRC-32); then the checksum database.
     * Kept in memory when small (most module zips are tens of kilobytes).
     */
    ZIP(".zip", "application/zip", 500L << 20, true, true);

    private final String ending;
    private final String contentType;
    private final long maxBytes;
    private final boolean keptInMemory;
    private final boolean large;

    RequestKind(String ending, String contentType, long maxBytes, boolean keptInMemory, boolean large) {
        this.ending = ending;
        this.contentType = contentType;
        this.maxBytes = maxBytes;
        this.keptInMemory = keptInMemory;
        this.large = large;
    }

    /** How its path ends: after the module for list and @latest, after the version for the others. */
    public String ending() {
        return ending;
    }

    /** For messages: ".info", ".mod", ".zip", "list", "@latest". */
    public String suffix() {
        return versioned() ? ending : ending.substring(ending.lastIndexOf('/') + 1);
    }

    public String contentType() {
        return contentType;
    }

    /** The most an upstream may send for it; more is a broken or hostile answer. */
    public long maxBytes() {
        return maxBytes;
    }

    /** Whether the memory tier keeps it (when immutable and small): a hit then costs no file-system call. */
    public boolean keptInMemory() {
        return keptInMemory;
    }

    /** A zip: streamed to its first client while it downloads, and given the zip download deadline. */
    public boolean large() {
        return large;
    }

    /** A file of one version ({@code $version.info|.mod|.zip}), rather than an answer about the module. */
    public boolean versioned() {
        return this == INFO || this == MOD || this == ZIP;
    }

    /** Whether the checksum database records a hash of it (go.sum's two lines per version). */
    public boolean checksummed() {
        return this == MOD || this == ZIP;
    }

    /** The kind tag of the metrics: list, latest, info, mod, zip. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The versioned kind whose path ends so, if any. */
    static RequestKind ofVersionFile(String file) {
        for (RequestKind kind : values()) {
            if (kind.versioned() && file.endsWith(kind.ending)) {
                return kind;
            }
        }
        return null;
    }
}
