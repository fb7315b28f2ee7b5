package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.checksum.DirHash;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * An upstream answer in staging, as the verifiers see it: its file, and the zip's {@code h1:} hash once a check has
 * worked it out. The hash means inflating every file of the zip, and so does the zip check's CRC-32 comparison: when
 * a later verifier will want the hash, the zip check computes it in the same pass, and a large zip is inflated once
 * instead of twice. A zip that arrived slowly also carries what was inflated of it as it arrived ({@link EarlyZipCheck}).
 */
public final class StagedAnswer {

    private final Path file;
    private final boolean zipHashWanted;
    private final Map<Long, EarlyZipCheck.Inflated> inflatedEarly;
    private String zipHash;

    /** @param zipHashWanted a verifier will ask for {@link #zipHash()} */
    public StagedAnswer(Path file, boolean zipHashWanted) {
        this(file, zipHashWanted, Map.of());
    }

    /** @param inflatedEarly the zip's entries inflated while it arrived ({@link EarlyZipCheck}), by local header */
    StagedAnswer(Path file, boolean zipHashWanted, Map<Long, EarlyZipCheck.Inflated> inflatedEarly) {
        this.file = file;
        this.zipHashWanted = zipHashWanted;
        this.inflatedEarly = inflatedEarly;
    }

    public Path file() {
        return file;
    }

    boolean zipHashWanted() {
        return zipHashWanted;
    }

    Map<Long, EarlyZipCheck.Inflated> inflatedEarly() {
        return inflatedEarly;
    }

    /** Told by the check that read every file of the zip. */
    void zipHashIs(String h1) {
        this.zipHash = h1;
    }

    /** The go command's {@code h1:} hash of the staged zip, worked out here if no check has done so. */
    public String zipHash() throws IOException {
        if (zipHash == null) {
            zipHash = DirHash.ofZip(file);
        }
        return zipHash;
    }
}
