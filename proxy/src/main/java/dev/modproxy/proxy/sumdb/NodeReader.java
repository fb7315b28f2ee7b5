package dev.modproxy.proxy.sumdb;

/** Reads complete nodes of a Merkle tree: the hash over leaves index*2^level .. (index+1)*2^level-1. */
@FunctionalInterface
public interface NodeReader {

    LogHash node(int level, long index) throws SumDbException;
}
