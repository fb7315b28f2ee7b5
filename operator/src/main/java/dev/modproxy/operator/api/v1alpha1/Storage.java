package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** The PersistentVolumeClaim that holds cached modules. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.highWatermark) || !has(self.lowWatermark) || self.lowWatermark < self.highWatermark",
        message = "storage.lowWatermark must be below storage.highWatermark",
        fieldPath = ".lowWatermark",
        reason = "FieldValueInvalid")
// the field's own rule runs only when the old and the new object both set it: adding or removing a class is
// refused here, or the volume claim's update would fail and the cache would stay Degraded
@ValidationRule(
        value = "has(self.storageClassName) == has(oldSelf.storageClassName)",
        message = Storage.STORAGE_CLASS_FIXED_MESSAGE,
        fieldPath = ".storageClassName",
        reason = "FieldValueForbidden")
public class Storage {

    public static final int DEFAULT_HIGH_WATERMARK = 90;
    public static final int DEFAULT_LOW_WATERMARK = 75;

    public static final String DEFAULT_SIZE = "10Gi";
    public static final String READ_WRITE_ONCE = "ReadWriteOnce";
    public static final String READ_WRITE_MANY = "ReadWriteMany";
    public static final String READ_WRITE_ONCE_POD = "ReadWriteOncePod";
    /** The access modes the proxy can write through. */
    public static final List<String> ACCESS_MODES = List.of(READ_WRITE_ONCE, READ_WRITE_ONCE_POD, READ_WRITE_MANY);

    public static final String ACCESS_MODES_MESSAGE =
            "storage.accessModes takes ReadWriteOnce, ReadWriteOncePod or ReadWriteMany (the proxy writes to the volume)";
    public static final String POSITIVE_SIZE_MESSAGE = "storage.size must be more than 0, e.g. 10Gi";
    /**
     * The most bytes Kubernetes counts in a quantity (an int64): it cuts a larger size down to this without a word,
     * so a volume claim would ask for less than the spec says. CEL's quantity() cuts it the same way, so the rule
     * refuses this size itself, and through the cut everything above it.
     */
    public static final String QUANTITY_CAP = "9223372036854775807";

    public static final String SIZE_BEYOND_THE_CAP_MESSAGE = "storage.size must be less than " + QUANTITY_CAP
            + " bytes (8Ei): Kubernetes cuts a larger volume claim down to that size without a word";
    /** True whether the volume bound or its claim is Pending on a misspelt class (Degraded StorageClassNotFound). */
    public static final String STORAGE_CLASS_FIXED_MESSAGE = "storage.storageClassName cannot change: a volume "
            + "claim's class is immutable. Delete this GoProxyCache and create it again with the class you want "
            + "(delete its claim <name>-cache too if storage.retainOnDelete kept it), or, if the claim is Pending "
            + "on a class that does not exist, create that StorageClass";
    /** A Kubernetes quantity such as 10Gi, 500M or 1e9. */
    public static final String QUANTITY = "^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][0-9]+)?$";

    /** What {@link #QUANTITY} takes, in words (the pattern's refusal printed the regex). */
    public static final String QUANTITY_MESSAGE = "spec.storage.size must be a Kubernetes quantity: a number with an "
            + "optional unit (Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, E), e.g. 10Gi, 500Gi or 1Ti";

    /** The longest size taken, for the rule's cost. */
    static final long SIZE_MAX_LENGTH = 64;

    @JsonPropertyDescription("Volume size, a Kubernetes quantity (e.g. 10Gi). It can only grow: the cluster "
            + "expands the volume when its storage class allows it, and a smaller value is refused.")
    @Default(DEFAULT_SIZE)
    @Size(max = SIZE_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + QUANTITY + "')",
            message = QUANTITY_MESSAGE,
            reason = "FieldValueInvalid")
    // the pattern admits 0, which no volume claim takes: the cache was accepted and then only reported Degraded
    @ValidationRule(
            value = "!isQuantity(self) || quantity(self).compareTo(quantity('0')) > 0",
            message = POSITIVE_SIZE_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = "!isQuantity(self) || quantity(self).compareTo(quantity('" + QUANTITY_CAP + "')) < 0",
            message = SIZE_BEYOND_THE_CAP_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = "!isQuantity(self) || !isQuantity(oldSelf) || quantity(self).compareTo(quantity(oldSelf)) >= 0",
            message = "storage.size cannot shrink; set it to at least its previous value",
            reason = "FieldValueForbidden")
    private String size = DEFAULT_SIZE;

    @JsonPropertyDescription("Storage class of the volume. When empty, the cluster's default class is used. "
            + "Fixed once the cache is created (a volume claim's class is immutable, even while it is Pending).")
    @ValidationRule(value = "self == oldSelf", message = STORAGE_CLASS_FIXED_MESSAGE)
    // refused here, not by the volume claim later: the rule above would keep it for the life of the cache
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.storage.storageClassName must be the name of a StorageClass: " + KubernetesSyntax.NAME_WORDS
                    + ", e.g. fast-ssd",
            reason = "FieldValueInvalid")
    private String storageClassName;

    @JsonPropertyDescription("Access modes of the volume, e.g. [ReadWriteOnce] (one pod, rolled with the Recreate "
            + "strategy) or [ReadWriteMany] (several replicas share it). Fixed once the volume exists.")
    @Default("[\"ReadWriteOnce\"]")
    @Size(min = 1, max = 4)
    @ValidationRule(value = "self == oldSelf", message = "storage.accessModes cannot change once the volume exists")
    // refused here, not by the volume claim later: the rule above would keep a typo for the life of the cache
    @ValidationRule(
            value = "self.all(m, m in ['" + READ_WRITE_ONCE + "', '" + READ_WRITE_ONCE_POD + "', '" + READ_WRITE_MANY
                    + "'])",
            message = ACCESS_MODES_MESSAGE,
            reason = "FieldValueInvalid")
    private List<String> accessModes = new ArrayList<>(List.of(READ_WRITE_ONCE));

    @JsonPropertyDescription("Keep the volume (and the cached modules) when the GoProxyCache is deleted. "
            + "A kept volume carries no owner reference and is adopted again by a cache of the same name.")
    @Default("false")
    private boolean retainOnDelete;

    @JsonPropertyDescription("Fill level of the volume, in percent (1-100), at which the proxy starts evicting "
            + "the least recently used modules.")
    @Default("90")
    @Min(1)
    @Max(100)
    private Integer highWatermark;

    @JsonPropertyDescription(
            "Fill level, in percent (1-100, below highWatermark), eviction brings the volume " + "back down to.")
    @Default("75")
    @Min(1)
    @Max(100)
    private Integer lowWatermark;

    public Integer getHighWatermark() {
        return highWatermark;
    }

    public void setHighWatermark(Integer highWatermark) {
        this.highWatermark = highWatermark;
    }

    public Integer getLowWatermark() {
        return lowWatermark;
    }

    public void setLowWatermark(Integer lowWatermark) {
        this.lowWatermark = lowWatermark;
    }

    public String getSize() {
        return size;
    }

    public void setSize(String size) {
        this.size = size;
    }

    public String getStorageClassName() {
        return storageClassName;
    }

    public void setStorageClassName(String storageClassName) {
        this.storageClassName = storageClassName;
    }

    public List<String> getAccessModes() {
        return accessModes;
    }

    public void setAccessModes(List<String> accessModes) {
        this.accessModes = accessModes;
    }

    public boolean isRetainOnDelete() {
        return retainOnDelete;
    }

    public void setRetainOnDelete(boolean retainOnDelete) {
        this.retainOnDelete = retainOnDelete;
    }

    /** Whether several pods can mount the volume at once. */
    @JsonIgnore
    public boolean isShared() {
        return accessModes != null && accessModes.contains(READ_WRITE_MANY);
    }
}
