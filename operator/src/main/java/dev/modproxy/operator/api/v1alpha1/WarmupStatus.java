package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** How the warm-up of the current spec is going, as the proxy reports it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WarmupStatus {

    @JsonPropertyDescription("The metadata.generation whose spec.warmup was handed to the proxy.")
    private Long submittedGeneration;

    @JsonPropertyDescription("Pending (not handed to the proxy yet), Rejected (the proxy refused the list), Running, "
            + "Finished, or Interrupted (the proxy restarted during the warm-up).")
    private WarmupState state;

    @JsonPropertyDescription("Module versions asked for.")
    private Integer requested;

    @JsonPropertyDescription("Module versions fetched so far.")
    private Integer completed;

    @JsonPropertyDescription("Module versions that could not be fetched.")
    private Integer failed;

    @JsonPropertyDescription("The first failures: module@version, artifact, and why.")
    private List<String> failures = new ArrayList<>();

    @JsonPropertyDescription("What needs attention, when something does.")
    private String message;

    public Long getSubmittedGeneration() {
        return submittedGeneration;
    }

    public void setSubmittedGeneration(Long submittedGeneration) {
        this.submittedGeneration = submittedGeneration;
    }

    public WarmupState getState() {
        return state;
    }

    public void setState(WarmupState state) {
        this.state = state;
    }

    public Integer getRequested() {
        return requested;
    }

    public void setRequested(Integer requested) {
        this.requested = requested;
    }

    public Integer getCompleted() {
        return completed;
    }

    public void setCompleted(Integer completed) {
        this.completed = completed;
    }

    public Integer getFailed() {
        return failed;
    }

    public void setFailed(Integer failed) {
        this.failed = failed;
    }

    public List<String> getFailures() {
        return failures;
    }

    public void setFailures(List<String> failures) {
        this.failures = failures;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarmupStatus w
                && Objects.equals(submittedGeneration, w.submittedGeneration)
                && Objects.equals(state, w.state)
                && Objects.equals(requested, w.requested)
                && Objects.equals(completed, w.completed)
                && Objects.equals(failed, w.failed)
                && Objects.equals(failures, w.failures)
                && Objects.equals(message, w.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(submittedGeneration, state, requested, completed, failed, failures, message);
    }
}
