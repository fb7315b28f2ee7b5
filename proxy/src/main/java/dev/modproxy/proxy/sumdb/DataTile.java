package dev.modproxy.proxy.sumdb;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A data tile: the texts of the records a level-0 hash tile hashes, each followed by a blank line.
 * Go's reference server puts each record's id on a line before its text (as in a lookup answer);
 * a tile without the id lines is read too. Either way it is proven only by its records hashing
 * to the proven record hashes.
 */
final class DataTile {

    private DataTile() {}

    /** Throws unless data holds exactly tile.width() records whose hashes are recordHashes, in order. */
    static void check(byte[] data, Tile tile, byte[] recordHashes) throws SumDbException {
        long firstId = tile.number() << tile.height();
        for (boolean withIds : new boolean[] {true, false}) {
            List<byte[]> records = split(data, firstId, tile.width(), withIds);
            if (records != null && hashTo(records, recordHashes)) {
                return;
            }
        }
        throw new SumDbException(tile.path() + " does not hash to the proven record hashes of the signed tree");
    }

    private static boolean hashTo(List<byte[]> records, byte[] recordHashes) {
        byte[] hashes = new byte[records.size() * LogHash.SIZE];
        for (int i = 0; i < records.size(); i++) {
            LogHash.ofRecord(records.get(i)).copyTo(hashes, i * LogHash.SIZE);
        }
        return MessageDigest.isEqual(hashes, recordHashes);
    }

    /** The record texts (each ending in its newline), or null when data is not count records. */
    private static List<byte[]> split(byte[] data, long firstId, int count, boolean withIds) {
        List<byte[]> records = new ArrayList<>(count);
        int pos = 0;
        for (int i = 0; i < count; i++) {
            if (withIds) {
                byte[] id = Long.toString(firstId + i).concat("\n").getBytes(StandardCharsets.US_ASCII);
                if (data.length - pos < id.length || !Arrays.equals(data, pos, pos + id.length, id, 0, id.length)) {
                    return null;
                }
                pos += id.length;
            }
            int end = blankLine(data, pos);
            if (end < 0) {
                // the last record's blank line may be missing
                if (i != count - 1 || data.length == pos || data[data.length - 1] != '\n') {
                    return null;
                }
                records.add(Arrays.copyOfRange(data, pos, data.length));
                return records;
            }
            records.add(Arrays.copyOfRange(data, pos, end + 1));
            pos = end + 2;
        }
        return pos == data.length ? records : null;
    }

    /** The index of the newline that ends a record's text (the next byte is the blank line), or -1. */
    private static int blankLine(byte[] data, int from) {
        for (int i = from; i + 1 < data.length; i++) {
            if (data[i] == '\n' && data[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
