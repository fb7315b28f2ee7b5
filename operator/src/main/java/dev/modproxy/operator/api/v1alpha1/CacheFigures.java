package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What the proxy itself reports about its cache, as last read by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheFigures {

    @JsonPropertyDescription("Bytes the cached modules take, as a quantity, e.g. 3.2Gi.")
    private String sizeUsed;

    @JsonPropertyDescription("Cached objects (.info, .mod, .zip files and checksum database tiles).")
    private Long entries;

    @JsonPropertyDescription(
            "Requests answered from the cache over those answered from it or fetched, since the proxy started; "
                    + "answers remembered as absent count as neither. E.g. \"0.93\".")
    private String hitRatio;

    @JsonPropertyDescription("Objects removed to keep the cache under its high watermark since the proxy started.")
    private Long evictions;

    @JsonPropertyDescription("When the last warm-up finished (RFC 3339), if one ran.")
    private String lastWarmup;

    public String getSizeUsed() {
        return sizeUsed;
    }

    public void setSizeUsed(String sizeUsed) {
        this.sizeUsed = sizeUsed;
    }

    public Long getEntries() {
        return entries;
    }

    public void setEntries(Long entries) {
        this.entries = entries;
    }

    public String getHitRatio() {
        return hitRatio;
    }

    public void setHitRatio(String hitRatio) {
        this.hitRatio = hitRatio;
    }

    public Long getEvictions() {
        return evictions;
    }

    public void setEvictions(Long evictions) {
        this.evictions = evictions;
    }

    public String getLastWarmup() {
        return lastWarmup;
    }

    public void setLastWarmup(String lastWarmup) {
        this.lastWarmup = lastWarmup;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheFigures f
                && Objects.equals(sizeUsed, f.sizeUsed)
                && Objects.equals(entries, f.entries)
                && Objects.equals(hitRatio, f.hitRatio)
                && Objects.equals(evictions, f.evictions)
                && Objects.equals(lastWarmup, f.lastWarmup);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sizeUsed, entries, hitRatio, evictions, lastWarmup);
    }
}
