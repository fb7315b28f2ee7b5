package dev.modproxy.operator.warmup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** The proxy's account of its warm-up (POST and GET /admin/warmup). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WarmupAnswer(String state, Integer requested, Integer completed, Integer failed, List<Failure> failures) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Failure(String module, String version, String artifact, Integer status, String reason) {
    }
}
