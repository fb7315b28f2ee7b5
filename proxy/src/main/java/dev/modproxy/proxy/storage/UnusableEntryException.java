package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What stands where an object should be cannot be used: a symbolic link, a directory or another non-regular file,
 * a file this process cannot read, or a bucket's object whose bytes are not those the proxy stored (altered or
 * truncated behind its back). Damage or a planted file, not a failing storage: {@link PassThroughStorage}
 * answers it as a miss and serves the module from the upstream, logging it at most once a minute, and a
 * {@link CircuitBreakingStorage} counts it as an answer.
 */
public final class UnusableEntryException extends IOException {

    private final boolean replacedByAFetch;

    /** @param replacedByAFetch whether the fresh copy a fetch stores takes its place (a file it cannot read) */
    UnusableEntryException(Path path, String why, boolean replacedByAFetch) {
        this(path.toString(), why, replacedByAFetch);
    }

    /** @param what the object, e.g. {@code s3://bucket/prefix/key} */
    UnusableEntryException(String what, String why, boolean replacedByAFetch) {
        super(what + " " + why);
        this.replacedByAFetch = replacedByAFetch;
    }

    UnusableEntryException(Path path, BasicFileAttributes found) {
        this(
                path,
                found.isSymbolicLink()
                        ? "is a symbolic link, which the cache does not follow"
                        : found.isDirectory() ? "is a directory, not a file" : "is not a regular file",
                false);
    }

    /** Whether a fetch's fresh copy replaces it; a link or a directory stays, and the key goes uncached. */
    public boolean replacedByAFetch() {
        return replacedByAFetch;
    }
}
