package dev.modproxy.proxy.sumdb;

import java.util.ArrayList;
import java.util.List;

/**
 * Merkle tree hashes and proofs of an append-only log, as RFC 6962 defines them
 * (section 2.1: tree hash, audit paths, consistency proofs).
 */
public final class TransparentLog {

    private TransparentLog() {}

    /** The hash of the tree of the first size records. */
    public static LogHash treeHash(long size, NodeReader nodes) throws SumDbException {
        if (size <= 0) {
            throw new SumDbException("no tree hash for an empty log");
        }
        return rangeHash(0, size, nodes);
    }

    /** Hash of leaves [lo, hi), lo a multiple of the largest power of two not above hi - lo. */
    static LogHash rangeHash(long lo, long hi, NodeReader nodes) throws SumDbException {
        // The range splits into complete subtrees, largest first; fold them right to left.
        List<LogHash> parts = new ArrayList<>();
        for (long start = lo; start < hi; ) {
            int level = 63 - Long.numberOfLeadingZeros(hi - start);
            while (level > 0 && (start & ((1L << level) - 1)) != 0) {
                level--;
            }
            parts.add(nodes.node(level, start >> level));
            start += 1L << level;
        }
        LogHash hash = parts.get(parts.size() - 1);
        for (int i = parts.size() - 2; i >= 0; i--) {
            hash = LogHash.ofNode(parts.get(i), hash);
        }
        return hash;
    }

    /** The largest power of two smaller than n (n &gt; 1): where RFC 6962 splits a tree of n leaves. */
    private static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** The audit path of record index in the tree of size records, deepest sibling first. */
    public static List<LogHash> recordProof(long index, long size, NodeReader nodes) throws SumDbException {
        if (index < 0 || index >= size) {
            throw new SumDbException("record " + index + " is not in a tree of size " + size);
        }
        List<LogHash> proof = new ArrayList<>();
        auditPath(index, 0, size, nodes, proof);
        return proof;
    }

    private static void auditPath(long index, long lo, long hi, NodeReader nodes, List<LogHash> proof)
            throws SumDbException {
        if (hi - lo == 1) {
            return;
        }
        long k = split(hi - lo);
        if (index < lo + k) {
            auditPath(index, lo, lo + k, nodes, proof);
            proof.add(rangeHash(lo + k, hi, nodes));
        } else {
            auditPath(index, lo + k, hi, nodes, proof);
            proof.add(rangeHash(lo, lo + k, nodes));
        }
    }

    /** Throws unless proof shows that the record with hash recordHash is record index of the tree. */
    public static void checkRecord(List<LogHash> proof, TreeHead tree, long index, LogHash recordHash)
            throws SumDbException {
        if (index < 0 || index >= tree.size()) {
            throw new SumDbException("record " + index + " is not in a tree of size " + tree.size());
        }
        int[] end = {proof.size()};
        LogHash root = rootFromPath(index, 0, tree.size(), recordHash, proof, end);
        if (end[0] != 0) {
            throw new SumDbException("record proof for " + index + " has " + proof.size() + " hashes, too many");
        }
        if (!root.equals(tree.hash())) {
            throw new SumDbException("record " + index + " is not in the signed " + tree + ": inclusion proof fails");
        }
    }

    private static LogHash rootFromPath(long index, long lo, long hi, LogHash leaf, List<LogHash> proof, int[] end)
            throws SumDbException {
        if (hi - lo == 1) {
            return leaf;
        }
        if (end[0] == 0) {
            throw new SumDbException("record proof for " + index + " is too short");
        }
        LogHash sibling = proof.get(--end[0]);
        long k = split(hi - lo);
        return index < lo + k
                ? LogHash.ofNode(rootFromPath(index, lo, lo + k, leaf, proof, end), sibling)
                : LogHash.ofNode(sibling, rootFromPath(index, lo + k, hi, leaf, proof, end));
    }

    /** The consistency proof that the tree of oldSize records is a prefix of the tree of newSize. */
    public static List<LogHash> treeProof(long oldSize, long newSize, NodeReader nodes) throws SumDbException {
        if (oldSize < 1 || oldSize > newSize) {
            throw new SumDbException("no consistency proof from tree size " + oldSize + " to " + newSize);
        }
        List<LogHash> proof = new ArrayList<>();
        subProof(oldSize, 0, newSize, true, nodes, proof);
        return proof;
    }

    private static void subProof(long m, long lo, long hi, boolean whole, NodeReader nodes, List<LogHash> proof)
            throws SumDbException {
        if (lo + m == hi) {
            if (!whole) {
                proof.add(rangeHash(lo, hi, nodes));
            }
            return;
        }
        long k = split(hi - lo);
        if (m <= k) {
            subProof(m, lo, lo + k, whole, nodes, proof);
            proof.add(rangeHash(lo + k, hi, nodes));
        } else {
            subProof(m - k, lo + k, hi, false, nodes, proof);
            proof.add(rangeHash(lo, lo + k, nodes));
        }
    }

    /** Throws unless proof shows that older is a prefix of newer, so neither history was rewritten. */
    public static void checkTree(List<LogHash> proof, TreeHead newer, TreeHead older) throws SumDbException {
        if (older.size() < 1 || older.size() > newer.size()) {
            throw new SumDbException("cannot prove " + older + " is a prefix of " + newer);
        }
        int[] end = {proof.size()};
        LogHash[] roots = consistentRoots(older.size(), 0, newer.size(), true, older.hash(), proof, end);
        if (end[0] != 0) {
            throw new SumDbException("consistency proof has too many hashes");
        }
        if (!roots[0].equals(older.hash()) || !roots[1].equals(newer.hash())) {
            throw new SumDbException("checksum database is inconsistent: " + older + " is not a prefix of " + newer);
        }
    }

    /** Recomputes {old root, new root} for the range [lo, hi), old tree covering its first m leaves. */
    private static LogHash[] consistentRoots(
            long m, long lo, long hi, boolean whole, LogHash oldRoot, List<LogHash> proof, int[] end)
            throws SumDbException {
        if (lo + m == hi) {
            if (whole) {
                return new LogHash[] {oldRoot, oldRoot};
            }
            LogHash shared = take(proof, end);
            return new LogHash[] {shared, shared};
        }
        LogHash other = take(proof, end);
        long k = split(hi - lo);
        if (m <= k) {
            LogHash[] left = consistentRoots(m, lo, lo + k, whole, oldRoot, proof, end);
            return new LogHash[] {left[0], LogHash.ofNode(left[1], other)};
        }
        LogHash[] right = consistentRoots(m - k, lo + k, hi, false, oldRoot, proof, end);
        return new LogHash[] {LogHash.ofNode(other, right[0]), LogHash.ofNode(other, right[1])};
    }

    private static LogHash take(List<LogHash> proof, int[] end) throws SumDbException {
        if (end[0] == 0) {
            throw new SumDbException("consistency proof is too short");
        }
        return proof.get(--end[0]);
    }
}
