package dev.modproxy.proxy.sumdb;

/** The two files of a module version that the checksum database records a hash for. */
public enum SumDbArtifact {
    GO_MOD(".mod"),
    ZIP(".zip");

    private final String suffix;

    SumDbArtifact(String suffix) {
        this.suffix = suffix;
    }

    /** The file suffix in the module proxy protocol, for messages. */
    public String suffix() {
        return suffix;
    }
}
