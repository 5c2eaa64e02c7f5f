package dev.mixtral4j;

import dev.mixtral4j.spi.Availability;

/**
 * What {@link Backends#all()} reports about one provider.
 *
 * @param id           the id users select by
 * @param description  one line for humans
 * @param rank         preference for "auto" (higher wins)
 * @param availability whether it can run here, with the reason when not
 * @param providerClass the provider's class name (useful when ids collide)
 */
public record BackendInfo(String id, String description, int rank, Availability availability, String providerClass) {

    public boolean available() {
        return availability.available();
    }

    @Override
    public String toString() {
        return id + " (rank " + rank + "): " + availability;
    }
}
