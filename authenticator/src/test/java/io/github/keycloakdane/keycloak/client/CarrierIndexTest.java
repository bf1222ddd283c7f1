package io.github.keycloakdane.keycloak.client;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

class CarrierIndexTest {

    private final AtomicInteger queries = new AtomicInteger();

    /** A database that answers with these ids and counts the questions. */
    private Supplier<List<String>> db(String... ids) {
        return () -> {
            queries.incrementAndGet();
            return List.of(ids);
        };
    }

    @Test
    void aCarrierIsAskedOfTheDatabaseOnceThenAnsweredFromTheIndex() {
        CarrierIndex index = new CarrierIndex(true);

        assertThat(index.carriers("r1", "a.example.test", db("c1"))).containsExactly("c1");
        assertThat(index.carriers("r1", "a.example.test", db("c1", "c2"))).containsExactly("c1");
        assertThat(index.carriers("r1", "a.example.test", db())).containsExactly("c1");

        assertThat(queries).hasValue(1);
        assertThat(index.loads()).isEqualTo(1);
    }

    @Test
    void realmsAndNamesAreKeptApart() {
        CarrierIndex index = new CarrierIndex(true);
        index.carriers("r1", "a.example.test", db("c1"));

        assertThat(index.carriers("r2", "a.example.test", db("c9"))).containsExactly("c9");
        assertThat(index.carriers("r1", "b.example.test", db("c3"))).containsExactly("c3");
        assertThat(queries).hasValue(3);
    }

    @Test
    void aNameNobodyCarriesIsNotKeptSoStrangersCannotFillTheIndex() {
        CarrierIndex index = new CarrierIndex(true);

        assertThat(index.carriers("r1", "nobody.example.test", db())).isEmpty();
        assertThat(index.carriers("r1", "nobody.example.test", db("c1"))).as("a carrier added later is seen at once")
                .containsExactly("c1");
        assertThat(queries).hasValue(2);
    }

    @Test
    void aSecondCarrierIsSeenAfterTheRealmIsInvalidated() {
        CarrierIndex index = new CarrierIndex(true);
        index.carriers("r1", "a.example.test", db("c1"));
        index.carriers("r2", "a.example.test", db("c9"));

        index.invalidate("r1");

        assertThat(index.carriers("r1", "a.example.test", db("c1", "c2"))).containsExactly("c1", "c2");
        assertThat(index.carriers("r2", "a.example.test", db("c9", "c8"))).as("another realm kept").containsExactly("c9");
        assertThat(queries).hasValue(3);
        assertThat(index.invalidations()).isEqualTo(1);
    }

    @Test
    void invalidatingEverythingOrAnUnknownRealmForgetsEveryRealm() {
        CarrierIndex index = new CarrierIndex(true);
        index.carriers("r1", "a.example.test", db("c1"));
        index.carriers("r2", "a.example.test", db("c9"));

        index.invalidateAll();
        index.carriers("r1", "a.example.test", db("c1"));
        index.carriers("r2", "a.example.test", db("c9"));
        index.invalidate(null);
        index.carriers("r1", "a.example.test", db("c1"));

        assertThat(queries).hasValue(5);
    }

    @Test
    void anAnswerReadBeforeAnInvalidationIsNotKeptAfterIt() {
        CarrierIndex index = new CarrierIndex(true);
        // the database answered with the old state, then the change's invalidation arrived before the answer was kept
        Supplier<List<String>> stale = () -> {
            queries.incrementAndGet();
            index.invalidate("r1");
            return List.of("c1");
        };

        assertThat(index.carriers("r1", "a.example.test", stale)).containsExactly("c1");
        assertThat(index.carriers("r1", "a.example.test", db("c1", "c2"))).containsExactly("c1", "c2");
        assertThat(index.carriers("r1", "a.example.test", db())).containsExactly("c1", "c2");
        assertThat(queries).hasValue(2);
    }

    @Test
    void aDisabledIndexAsksTheDatabaseEveryTime() {
        CarrierIndex index = new CarrierIndex(false);

        index.carriers("r1", "a.example.test", db("c1"));
        index.carriers("r1", "a.example.test", db("c1"));

        assertThat(index.enabled()).isFalse();
        assertThat(queries).hasValue(2);
    }

    @Test
    void aRealmKeepsAtMostTheBoundedNumberOfNamesAndAnswersTheRestFromTheDatabase() {
        CarrierIndex index = new CarrierIndex(true);
        for (int i = 0; i < CarrierIndex.MAX_NAMES_PER_REALM; i++) {
            index.carriers("r1", "n" + i + ".example.test", db("c" + i));
        }
        int filled = queries.get();

        List<String> beyond = new ArrayList<>(index.carriers("r1", "beyond.example.test", db("cx")));
        index.carriers("r1", "beyond.example.test", db("cx"));
        index.carriers("r1", "n0.example.test", db("c0"));

        assertThat(beyond).containsExactly("cx");
        assertThat(queries.get() - filled).as("the name beyond the bound asked twice, a kept one not at all")
                .isEqualTo(2);
    }

    @Test
    void theAnswerCannotBeChangedByTheCaller() {
        CarrierIndex index = new CarrierIndex(true);
        List<String> mutable = new ArrayList<>(List.of("c1"));

        List<String> answer = index.carriers("r1", "a.example.test", () -> mutable);
        mutable.add("c2");

        assertThat(index.carriers("r1", "a.example.test", db())).containsExactly("c1");
        assertThat(answer).isUnmodifiable();
    }
}
