package dev.modproxy.operator.reconciler;

import jakarta.inject.Singleton;

/**
 * Raised once this replica stops leading, and never lowered in this process: from then on it writes nothing to a
 * cache or its objects. JOSDK 5.2 keeps dispatching reconciliations after fabric8's elector reports the Lease lost
 * (its own {@code stopLeading} only exits or logs), so a replica that was frozen longer than the lease duration (a
 * stopped process, a VM paused, a long GC) woke up, learnt it had lost the Lease, and still reconciled the events
 * queued while it was frozen, beside the replica that leads now, until its exit (about a second later) stopped it.
 */
@Singleton
public class LeadershipFence {

    private volatile boolean raised;

    /** Called as this replica stops leading, before anything else it does then. */
    void raise() {
        raised = true;
    }

    /** True once this replica stopped leading: a reconciliation that starts now must not write. */
    public boolean raised() {
        return raised;
    }
}
