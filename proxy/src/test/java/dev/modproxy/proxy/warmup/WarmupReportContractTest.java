package dev.modproxy.proxy.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.contract.admin.AdminExamples;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** POST and GET /admin/warmup write exactly the contract's golden answers, which the operator's tests read. */
class WarmupReportContractTest {

    @Test
    void aRunningWarmupIsReportedAsTheGoldenAnswer() {
        WarmupJob job = new WarmupJob(3, Instant.parse("2026-11-23T21:59:00Z"));

        assertEquals(AdminExamples.WARMUP_RUNNING.value(), job.report());
        assertEquals(golden(AdminExamples.WARMUP_RUNNING), job.toJson().encode());
    }

    @Test
    void aFinishedWarmupWithAFailureIsReportedAsTheGoldenAnswer() {
        WarmupJob job = new WarmupJob(3, Instant.parse("2026-11-23T21:59:00Z"));
        job.completed();
        job.completed();
        job.failed(new WarmupJob.Failure("example.com/gone", "v1.0.0", "zip", 404, "not found upstream"));
        job.completed();
        job.finish(Instant.parse("2026-11-23T22:00:00Z"));

        assertEquals(AdminExamples.WARMUP_FINISHED.value(), job.report());
        assertEquals(golden(AdminExamples.WARMUP_FINISHED), job.toJson().encode());
    }

    private static String golden(AdminExamples example) {
        return new JsonObject(example.json()).encode();
    }
}
