package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.Test;

import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class MatchPolicyTest {

    @Test
    void defaultsAreRfc7671() {
        MatchPolicy defaults = MatchPolicy.defaults();
        assertThat(defaults.eeNameCheck()).isFalse();
        assertThat(defaults.pkixEnabled()).isFalse();
        assertThat(defaults.pkixTrust()).isEmpty();
        assertThat(defaults.clock()).isNotNull();
    }

    @Test
    void nullsBecomeDefaults() {
        MatchPolicy policy = new MatchPolicy(true, null, null);
        assertThat(policy.pkixTrust()).isEmpty();
        assertThat(policy.pkixEnabled()).isFalse();
        assertThat(policy.clock()).isNotNull();
        assertThat(policy.eeNameCheck()).isTrue();
    }

    @Test
    void withersChangeOneThingEach() {
        TrustAnchor anchor = new TrustAnchor(TestPki.ca("root").build().cert(), null);
        Clock clock = Clock.fixed(Instant.parse("2020-01-01T00:00:00Z"), ZoneOffset.UTC);
        MatchPolicy policy = MatchPolicy.defaults().withEeNameCheck(true).withPkixTrust(Set.of(anchor)).withClock(clock);
        assertThat(policy.eeNameCheck()).isTrue();
        assertThat(policy.pkixTrust()).containsExactly(anchor);
        assertThat(policy.pkixEnabled()).isTrue();
        assertThat(policy.clock()).isSameAs(clock);

        assertThat(policy.withEeNameCheck(false).pkixTrust()).containsExactly(anchor);
        assertThat(policy.withEeNameCheck(false).clock()).isSameAs(clock);
        assertThat(policy.withPkixTrust(Set.of()).pkixEnabled()).isFalse();
        assertThat(policy.withPkixTrust(null).pkixEnabled()).isFalse();
        assertThat(policy.withPkixTrust(Set.of()).eeNameCheck()).isTrue();
    }

    @Test
    void trustStoreIsCopied() {
        Set<TrustAnchor> anchors = new HashSet<>();
        MatchPolicy policy = MatchPolicy.defaults().withPkixTrust(anchors);
        anchors.add(new TrustAnchor(TestPki.ca("late root").build().cert(), null));
        assertThat(policy.pkixEnabled()).isFalse();
    }
}
