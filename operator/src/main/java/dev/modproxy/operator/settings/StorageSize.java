package dev.modproxy.operator.settings;

import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Optional;

/** Volume sizes only grow: what to ask for given the spec and what the cluster already has. */
public final class StorageSize {

    private StorageSize() {}

    /**
     * The larger of the requested and the existing size; a volume is never asked to shrink. An existing size equal
     * to the requested one is asked for as the API server wrote it ("1536Mi" for "1.5Gi"), so that applying the
     * claim again changes nothing.
     */
    public static Quantity toRequest(String requested, Optional<Quantity> existing) {
        Quantity wanted = new Quantity(requested);
        return existing.filter(e -> !isSmaller(e, wanted)).orElse(wanted);
    }

    /** True when {@code requested} is smaller than the volume that already exists. */
    public static boolean isShrink(String requested, Optional<Quantity> existing) {
        try {
            return existing.map(e -> isSmaller(new Quantity(requested), e)).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean isSmaller(Quantity a, Quantity b) {
        return a.getNumericalAmount().compareTo(b.getNumericalAmount()) < 0;
    }
}
