package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.protocol.RequestKind;

/** A downloaded file's hash differs from the one the checksum database proved for it. */
public final class ChecksumMismatchException extends SumDbException {

    private final String module;
    private final String version;
    private final String expected;
    private final String actual;

    public ChecksumMismatchException(
            String module, String version, RequestKind artifact, String expected, String actual) {
        super(module + "@" + version + artifact.suffix() + ": checksum mismatch: downloaded " + actual
                + ", checksum database has " + expected);
        this.module = module;
        this.version = version;
        this.expected = expected;
        this.actual = actual;
    }

    public String module() {
        return module;
    }

    public String version() {
        return version;
    }

    /** The hash the checksum database records. */
    public String expected() {
        return expected;
    }

    /** The hash of the file that was downloaded. */
    public String actual() {
        return actual;
    }
}
