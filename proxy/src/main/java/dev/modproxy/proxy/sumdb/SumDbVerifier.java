package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.checksum.DirHash;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks module files against a checksum database the way the go command does: the record
 * comes from a lookup, its tree head must carry the database's signature, the record must be
 * proven in that tree with tiles, and every tree seen must extend the latest one verified.
 */
public final class SumDbVerifier {

    public static final int TILE_HEIGHT = 8;
    private static final Pattern MODULE_PATH = Pattern.compile("[A-Za-z0-9._~+/-]+");
    private static final Pattern VERSION = Pattern.compile("v[A-Za-z0-9._+-]+");

    private final VerifierKey key;
    private final SumDbFetcher fetcher;
    private final Map<String, LookupAnswer> provenRecords = lru(10_000);
    private final Map<Tile, byte[]> provenFullTiles = lru(1_024);
    private final LatestTreeListener latestTreeListener;
    private TreeHead latest;

    /** Told each time a newer tree head is verified, so it can be kept across restarts. */
    @FunctionalInterface
    public interface LatestTreeListener {
        void latestTreeVerified(TreeHead tree, byte[] signedNote);
    }

    public SumDbVerifier(VerifierKey key, SumDbFetcher fetcher, LatestTreeListener latestTreeListener) {
        this.key = key;
        this.fetcher = fetcher;
        this.latestTreeListener = latestTreeListener;
    }

    public SumDbVerifier(VerifierKey key, SumDbFetcher fetcher) {
        this(key, fetcher, (tree, note) -> { });
    }

    public String databaseName() {
        return key.name();
    }

    /** Throws unless file's h1: hash is the one the database proves for module@version. */
    public void verify(String module, String version, SumDbArtifact artifact, Path file) throws SumDbException, IOException {
        String expected = provenHash(module, version, artifact);
        String actual = artifact == SumDbArtifact.ZIP ? DirHash.ofZip(file) : DirHash.ofGoMod(file);
        if (!expected.equals(actual)) {
            throw new ChecksumMismatchException(module, version, artifact, expected, actual);
        }
    }

    /** The h1: hash the checksum database records for the artifact, after proving the record. */
    public String provenHash(String module, String version, SumDbArtifact artifact) throws SumDbException {
        if (!MODULE_PATH.matcher(module).matches() || module.contains("..") || !VERSION.matcher(version).matches()) {
            throw new SumDbException("invalid module version " + module + "@" + version);
        }
        String modVer = module + "@" + version;
        LookupAnswer record = provenRecords.get(modVer);
        if (record == null) {
            record = provenRecord(module, version);
            provenRecords.put(modVer, record);
        }
        String hash = record.hashFor(module, version, artifact);
        if (hash == null) {
            throw new SumDbException(modVer + ": checksum database record has no " + artifact.suffix() + " hash");
        }
        return hash;
    }

    private LookupAnswer provenRecord(String module, String version) throws SumDbException {
        String modVer = module + "@" + version;
        byte[] answer;
        try {
            answer = fetcher.fetch("lookup/" + escape(module) + "@" + escape(version));
        } catch (SumDbNotFoundException e) {
            throw new SumDbNotFoundException(modVer + ": not found in checksum database " + key.name() + ": " + e.getMessage());
        }
        try {
            LookupAnswer record = LookupAnswer.parse(answer);
            TreeHead tree = verifiedTree(record.signedTree());
            if (record.recordId() >= tree.size()) {
                throw new SumDbException("record " + record.recordId() + " is beyond the signed " + tree);
            }
            NodeReader nodes = new TreeTiles(tree, TILE_HEIGHT, this::readTile, provenFullTiles);
            List<LogHash> proof = TransparentLog.recordProof(record.recordId(), tree.size(), nodes);
            TransparentLog.checkRecord(proof, tree, record.recordId(), LogHash.ofRecord(record.record()));
            if (record.hashFor(module, version, SumDbArtifact.GO_MOD) == null
                    && record.hashFor(module, version, SumDbArtifact.ZIP) == null) {
                throw new SumDbException("record " + record.recordId() + " is not about " + modVer);
            }
            return record;
        } catch (SumDbException e) {
            throw new SumDbException(modVer + ": checksum database " + key.name() + ": " + e.getMessage(), e);
        }
    }

    /** Verifies a signed tree head and that it and the latest verified tree are one history. */
    public TreeHead verifiedTree(byte[] signedNote) throws SumDbException {
        TreeHead tree = TreeHead.parse(SignedNote.verifiedText(signedNote, key));
        synchronized (this) {
            if (latest == null) {
                latest = tree;
                latestTreeListener.latestTreeVerified(tree, signedNote);
                return tree;
            }
            if (latest.equals(tree)) {
                return tree;
            }
            TreeHead older = tree.size() < latest.size() ? tree : latest;
            TreeHead newer = older == tree ? latest : tree;
            if (older.size() == newer.size()) {
                throw new SumDbException("checksum database is inconsistent: " + older + " and " + newer);
            }
            if (older.size() > 0) {
                NodeReader nodes = new TreeTiles(newer, TILE_HEIGHT, this::readTile, provenFullTiles);
                TransparentLog.checkTree(TransparentLog.treeProof(older.size(), newer.size(), nodes), newer, older);
            }
            if (newer == tree) {
                latest = tree;
                latestTreeListener.latestTreeVerified(tree, signedNote);
            }
            return tree;
        }
    }

    public synchronized Optional<TreeHead> latestTree() {
        return Optional.ofNullable(latest);
    }

    private byte[] readTile(Tile tile) throws SumDbException {
        return fetcher.fetch(tile.path());
    }

    /** Module path and version as the proxy protocol spells them: "!x" for upper-case "X". */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (char c : text.toCharArray()) {
            if (c >= 'A' && c <= 'Z') {
                out.append('!').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static <K, V> Map<K, V> lru(int capacity) {
        return Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        });
    }

    @Override
    public String toString() {
        return "checksum database " + key.name();
    }
}
