package dev.modproxy.proxy.protocol;

/** The immutable files of one module version. */
public enum ArtifactKind {
    INFO(".info"),
    MOD(".mod"),
    ZIP(".zip");

    private final String suffix;

    ArtifactKind(String suffix) {
        this.suffix = suffix;
    }

    public String suffix() {
        return suffix;
    }
}
