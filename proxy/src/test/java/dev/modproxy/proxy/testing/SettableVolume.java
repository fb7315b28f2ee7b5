package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.eviction.VolumeSpace;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * A volume whose capacity and use the test sets, in bytes of no block: its use is no count of the disk's blocks, so
 * eviction counts lengths and judges nothing to be another's data.
 */
public final class SettableVolume implements VolumeSpace {
    private final LongSupplier capacity;
    private final LongSupplier used;

    public SettableVolume(LongSupplier capacity, LongSupplier used) {
        this.capacity = capacity;
        this.used = used;
    }

    public static SettableVolume of(long capacity, LongSupplier used) {
        return new SettableVolume(() -> capacity, used);
    }

    @Override
    public long capacity() {
        return capacity.getAsLong();
    }

    @Override
    public long used() {
        return used.getAsLong();
    }

    @Override
    public OptionalLong blockSize() {
        return OptionalLong.empty();
    }
}
