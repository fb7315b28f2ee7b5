package dev.modproxy.proxy.sumdb;

/** Where tile contents come from: the database, a proxy in front of it, or a cache. */
@FunctionalInterface
public interface TileSource {

    /** The tile's bytes; throws {@link SumDbNotFoundException} when the source does not have it. */
    byte[] read(Tile tile) throws SumDbException;
}
