package dev.modproxy.proxy.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitTest {

    private static final Duration COOL_DOWN = Duration.ofSeconds(10);

    private final AtomicLong now = new AtomicLong();
    private final Circuit circuit = new Circuit(COOL_DOWN, now::get);

    private void advance(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    @Test
    void itOpensWhenItsCallerSaysEnoughFailed() {
        assertEquals(CircuitState.CLOSED, circuit.failed(false));
        assertTrue(circuit.tryAcquire(), "not enough yet");

        assertEquals(CircuitState.CLOSED, circuit.failed(true));
        assertEquals(CircuitState.OPEN, circuit.state());
        assertFalse(circuit.tryAcquire());
        assertFalse(circuit.admitsWithoutTrial());
    }

    @Test
    void afterTheCoolDownOneTrialGoesOutAndItsSuccessClosesIt() {
        circuit.failed(true);
        advance(COOL_DOWN.minusNanos(1));
        assertFalse(circuit.tryAcquire(), "still cooling down");
        advance(Duration.ofNanos(1));

        assertTrue(circuit.admitsWithoutTrial());
        assertEquals(CircuitState.OPEN, circuit.state(), "asking whether a call would go takes no trial");
        assertTrue(circuit.tryAcquire());
        assertEquals(CircuitState.HALF_OPEN, circuit.state());
        assertFalse(circuit.tryAcquire(), "one trial at a time");
        assertFalse(circuit.admitsWithoutTrial());

        assertEquals(CircuitState.HALF_OPEN, circuit.succeeded());
        assertEquals(CircuitState.CLOSED, circuit.state());
    }

    @Test
    void aFailedTrialOpensItForAnotherCoolDownWhateverTheCallersCount() {
        circuit.failed(true);
        advance(COOL_DOWN);
        assertTrue(circuit.tryAcquire());

        assertEquals(CircuitState.HALF_OPEN, circuit.failed(false));
        assertFalse(circuit.tryAcquire());
        advance(COOL_DOWN);
        assertTrue(circuit.tryAcquire());
    }

    @Test
    void anOpenCircuitsCoolDownStartsAgainOnlyWhenTheCallerSaysSo() {
        circuit.failed(true);
        advance(COOL_DOWN.dividedBy(2));
        circuit.failed(false); // a call out when it opened, as the storage counts it
        advance(COOL_DOWN.dividedBy(2));
        assertTrue(circuit.admitsWithoutTrial(), "the cool-down runs from the opening");

        circuit.failed(true); // as an upstream counts it: still as many modules failing
        advance(COOL_DOWN.dividedBy(2));
        assertFalse(circuit.tryAcquire(), "the cool-down runs from the last failure");
    }

    @Test
    void anAbandonedTrialLetsTheNextCallBeTheTrial() {
        circuit.failed(true);
        advance(COOL_DOWN);
        assertTrue(circuit.tryAcquire());

        circuit.abandoned();
        assertEquals(CircuitState.OPEN, circuit.state());
        assertTrue(circuit.tryAcquire(), "the cool-down is over already");
    }

    @Test
    void aClockSetBackEndsTheCoolDown() {
        advance(Duration.ofHours(1));
        circuit.failed(true);
        now.set(0);

        assertTrue(circuit.tryAcquire(), "not skipped for an hour");
    }
}
