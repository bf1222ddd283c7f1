package io.github.keycloakdane.dns;

import java.util.concurrent.Semaphore;

/**
 * A number of lookup slots of its own, apart from the {@code max-concurrent-lookups} that logins use: a caller that
 * is not a login (the admin diagnostics) queries DNS only on one of these, so it can never take a login's slot. A
 * lookup beyond them is answered {@code BUSY} at once, without a query.
 */
public final class LookupBudget {

    private final Semaphore slots;
    private final int size;
    private final String option;

    /** @param option the option that sets {@code size}, named in the {@code BUSY} answer */
    public LookupBudget(int size, String option) {
        if (size < 1) {
            throw new IllegalArgumentException("a lookup budget needs at least one slot");
        }
        this.slots = new Semaphore(size);
        this.size = size;
        this.option = option;
    }

    Semaphore slots() {
        return slots;
    }

    String describe() {
        return size + " at most, " + option;
    }

    /** Slots free right now. */
    public int available() {
        return slots.availablePermits();
    }
}
