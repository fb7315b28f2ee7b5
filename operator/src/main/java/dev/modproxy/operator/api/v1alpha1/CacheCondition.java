package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A Kubernetes-shaped condition of a cache's status (named apart from JOSDK's workflow Condition). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheCondition {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    @JsonPropertyDescription("Ready, Progressing or Degraded.")
    private String type;

    @JsonPropertyDescription("True, False or Unknown.")
    private String status;

    @JsonPropertyDescription("One CamelCase word saying why, for tools.")
    private String reason;

    @JsonPropertyDescription("What is the case and, when something is wrong, how to fix it.")
    private String message;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    private String lastTransitionTime;

    @JsonPropertyDescription("The metadata.generation this condition was computed for.")
    private Long observedGeneration;

    public CacheCondition() {}

    public CacheCondition(String type, String status, String reason, String message) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
    }

    @JsonIgnore
    public boolean isTrue() {
        return TRUE.equals(status);
    }

    /** Same meaning, ignoring when it was observed. */
    public boolean sameStateAs(CacheCondition other) {
        return other != null
                && Objects.equals(type, other.type)
                && Objects.equals(status, other.status)
                && Objects.equals(reason, other.reason)
                && Objects.equals(message, other.message);
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheCondition c
                && sameStateAs(c)
                && Objects.equals(lastTransitionTime, c.lastTransitionTime)
                && Objects.equals(observedGeneration, c.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message);
    }

    @Override
    public String toString() {
        return type + "=" + status + " (" + reason + "): " + message;
    }
}
