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

    /*
     * metav1.Condition's bounds, which the CRD schema sets (CrdConventions), so tools written for Kubernetes'
     * own conditions read these the same way.
     */
    public static final String TYPE_PATTERN =
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";
    public static final int TYPE_MAX_LENGTH = 316;
    public static final String REASON_PATTERN = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
    public static final int REASON_MAX_LENGTH = 1024;
    public static final int MESSAGE_MAX_LENGTH = 32768;

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
        this.message = fitting(message);
    }

    /**
     * The message, shortened to what the API server stores: a longer one (a refusal quoted in full, say) would make
     * it refuse the whole status update, and every condition would go stale. The middle goes, so that what is wrong
     * (the start) and how to fix it (the end) both stay.
     */
    static String fitting(String message) {
        if (message == null || message.length() <= MESSAGE_MAX_LENGTH) {
            return message;
        }
        String gap = " [... " + message.length() + " characters in all, the middle left out ...] ";
        int head = (MESSAGE_MAX_LENGTH - gap.length()) / 2;
        int tail = message.length() - (MESSAGE_MAX_LENGTH - gap.length() - head);
        if (Character.isHighSurrogate(message.charAt(head - 1))) {
            head--;
        }
        if (Character.isLowSurrogate(message.charAt(tail))) {
            tail++;
        }
        return message.substring(0, head) + gap + message.substring(tail);
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
        this.message = fitting(message);
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
