package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.cluster.JosdkTimerRace;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** What escapes a thread reaches the operator's log, the operator SDK's known race below INFO. */
class UncaughtFailuresTest {

    @Test
    void anExceptionNothingCaughtIsAnErrorNamingTheThreadWithItsStackTrace() {
        IllegalArgumentException thrown = new IllegalArgumentException("boom");
        try (CapturedLog log = new CapturedLog(UncaughtFailures.class.getName())) {
            UncaughtFailures.log(new Thread("ReconcilerExecutor-goproxycache-7"), thrown);

            assertThat(log.records).singleElement().satisfies(record -> {
                assertThat(record.getLevel().intValue()).isGreaterThanOrEqualTo(Level.SEVERE.intValue());
                assertThat(CapturedLog.text(record))
                        .contains("ReconcilerExecutor-goproxycache-7")
                        .contains("nothing caught");
                assertThat(record.getThrown()).isSameAs(thrown);
            });
        }
    }

    @Test
    void theSdkTimerRaceIsNotShownAtTheDefaultLevel() throws Exception {
        IllegalStateException race = JosdkTimerRace.reproduce();
        try (CapturedLog log = new CapturedLog(UncaughtFailures.class.getName())) {
            UncaughtFailures.log(new Thread("ReconcilerExecutor-goproxycache-7"), race);

            assertThat(log.records.stream()
                            .filter(UncaughtFailuresTest::shownByDefault)
                            .toList())
                    .isEmpty();
            assertThat(log.records)
                    .allSatisfy(record -> assertThat(record.getThrown()).isNull());
        }
    }

    private static boolean shownByDefault(LogRecord record) {
        return record.getLevel().intValue() >= Level.INFO.intValue();
    }
}
