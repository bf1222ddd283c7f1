package io.github.keycloakdane.core;

import io.github.keycloakdane.core.DaneVerifier.DomainUserOutcome;
import io.github.keycloakdane.core.DomainUser.DomainUserException;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Domain users: the leaf's profile (one dNSName, one uid) and the DANE-TA-only verification at {@code _user.DOMAIN}. */
class DomainUserTest {

    private static final DaneName USERS_A = name("_user.a.example");
    private static final DaneName USERS_B = name("_user.b.example");

    private static Issued caA;
    private static Issued caB;

    @BeforeAll
    static void cas() {
        caA = TestPki.ca("Users of a.example").build();
        caB = TestPki.ca("Users of b.example").build();
    }

    private static TestPki.Builder person(Issued ca) {
        return TestPki.leaf("person").issuer(ca);
    }

    private static DomainUser parse(DaneName userName, Issued leaf) throws DomainUserException {
        return DomainUser.of(userName, leaf.cert());
    }

    private static void assertRefused(DaneName userName, Issued leaf, Reason reason, String messagePart) {
        assertThatThrownBy(() -> parse(userName, leaf)).isInstanceOf(DomainUserException.class)
                .hasMessageContaining(messagePart)
                .satisfies(e -> assertThat(((DomainUserException) e).reason()).isEqualTo(reason));
    }

    @Test
    void theUidComesFromAnEmailAddressOfTheDomainInLowerCase() throws Exception {
        DomainUser user = parse(USERS_A, person(caA).dnsNames("A.Example").emails("Alice@a.example").build());

        assertThat(user.address()).isEqualTo("alice@a.example");
        assertThat(user.uid()).isEqualTo("alice");
        assertThat(user.userName()).isEqualTo(USERS_A);
    }

    @Test
    void theUidComesFromTheOtherNameUid() throws Exception {
        assertThat(parse(USERS_B, person(caB).dnsNames("b.example").otherNameUid("Bob").build()).address())
                .isEqualTo("bob@b.example");
    }

    @Test
    void theUidComesFromAnSmtpUtf8Mailbox() throws Exception {
        assertThat(parse(USERS_A, person(caA).dnsNames("a.example").smtpUtf8Mailbox("jürgen@a.example").build())
                .address()).isEqualTo("jürgen@a.example");
    }

    @Test
    void aUidAndAnEmailNamingTheSameUserAgree() throws Exception {
        assertThat(parse(USERS_A, person(caA).dnsNames("a.example").otherNameUid("carol").emails("carol@a.example")
                .build()).address()).isEqualTo("carol@a.example");
    }

    @Test
    void twoDifferentUidsAreRefused() {
        assertRefused(USERS_A, person(caA).dnsNames("a.example").otherNameUid("carol").emails("dave@a.example").build(),
                Reason.USER_ID_INVALID, "more than one user");
    }

    @Test
    void anEmailAddressOfAnotherDomainIsRefused() {
        assertRefused(USERS_A, person(caA).dnsNames("a.example").emails("alice@b.example").build(),
                Reason.USER_ID_INVALID, "not of the domain a.example");
        // also next to a good one: the certificate must not speak for two domains
        assertRefused(USERS_A, person(caA).dnsNames("a.example").otherNameUid("alice").emails("alice@b.example").build(),
                Reason.USER_ID_INVALID, "alice@b.example");
        // a subdomain is another domain
        assertRefused(USERS_A, person(caA).dnsNames("a.example").emails("alice@x.a.example").build(),
                Reason.USER_ID_INVALID, "not of the domain");
    }

    @Test
    void theLeafMustCarryExactlyOneDnsNameTheDomain() {
        assertRefused(USERS_A, person(caA).dnsNames("a.example", "b.example").emails("alice@a.example").build(),
                Reason.NAME_MISMATCH, "exactly one dNSName");
        assertRefused(USERS_A, person(caA).emails("alice@a.example").build(), Reason.NAME_MISMATCH, "carries 0");
        assertRefused(USERS_A, person(caA).dnsNames("b.example").emails("alice@a.example").build(),
                Reason.NAME_MISMATCH, "is not the domain a.example");
        assertRefused(USERS_A, person(caA).dnsNames("_user.a.example").emails("alice@a.example").build(),
                Reason.NAME_MISMATCH, "is not the domain");
    }

    @Test
    void aLeafWithoutAUidIsRefused() {
        assertRefused(USERS_A, person(caA).dnsNames("a.example").build(), Reason.USER_ID_INVALID, "names no user");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a@b", "tab\there", "line\nbreak", "bidi\u202eoverride", "white space", ""})
    void invalidUidsAreRefused(String uid) {
        assertRefused(USERS_A, person(caA).dnsNames("a.example").otherNameUid(uid).build(), Reason.USER_ID_INVALID,
                "uid");
    }

    @Test
    void aUidLongerThan64CharactersIsRefused() throws Exception {
        assertRefused(USERS_A, person(caA).dnsNames("a.example").otherNameUid("x".repeat(65)).build(),
                Reason.USER_ID_INVALID, "more than 64");
        assertThat(parse(USERS_A, person(caA).dnsNames("a.example").otherNameUid("x".repeat(64)).build()).uid())
                .hasSize(64);
    }

    @Test
    void onlyUserNamesHaveDomainUsers() {
        assertRefused(name("alice.a.example"), person(caA).dnsNames("a.example").otherNameUid("alice").build(),
                Reason.INVALID_NAME, "_user.DOMAIN");
        assertThat(DomainUser.domainOf(name("_user.com"))).isNull();
        assertThat(DomainUser.domainOf(USERS_A)).isEqualTo(name("a.example"));
    }

    @Test
    void anAddressTypedInTheBrowserNamesItsDomainsUserName() throws Exception {
        assertThat(DomainUser.userNameOfAddress("Alice@A.Example")).isEqualTo(USERS_A);
        assertThatThrownBy(() -> DomainUser.userNameOfAddress("alice")).isInstanceOf(InvalidNameException.class);
        assertThatThrownBy(() -> DomainUser.userNameOfAddress("alice@")).isInstanceOf(InvalidNameException.class);
        assertThatThrownBy(() -> DomainUser.userNameOfAddress("alice@a/b")).isInstanceOf(InvalidNameException.class);
    }

    // --- the verifier ---

    /** Answers every name with these records, SECURE, and remembers what it was asked. */
    private static final class Source implements TlsaSource {
        final List<DaneName> asked = new ArrayList<>();
        final List<TlsaRecord> records;

        Source(TlsaRecord... records) {
            this.records = List.of(records);
        }

        @Override
        public TlsaLookup lookup(DaneName name) {
            asked.add(name);
            return new TlsaLookup(DnssecStatus.SECURE, records, List.of(), 300, "secure");
        }
    }

    private static DomainUserOutcome verify(Source source, DaneName userName, Issued leaf, X509Certificate... issuers) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf.cert());
        chain.addAll(List.of(issuers));
        return new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults()).verifyDomainUser(userName, chain, null);
    }

    @Test
    void theDomainsCaFromDnsAuthenticatesItsUser() {
        Source source = new Source(tlsa(2, 0, 0, caA.cert()));
        Issued alice = person(caA).dnsNames("a.example").emails("alice@a.example").build();

        DomainUserOutcome outcome = verify(source, USERS_A, alice);

        assertThat(outcome.authenticated()).as(outcome.outcome().toString()).isTrue();
        assertThat(outcome.user().address()).isEqualTo("alice@a.example");
        assertThat(outcome.outcome().identity()).isEqualTo("_user.a.example");
        assertThat(outcome.outcome().recordAtDepth()).isEqualTo("2 0 0@1");
        assertThat(source.asked).containsExactly(USERS_A);
    }

    @Test
    void theDomainsCaInTheChainAuthenticatesItsUser() {
        Issued bob = person(caB).dnsNames("b.example").otherNameUid("bob").build();

        DomainUserOutcome outcome = verify(new Source(tlsa(2, 1, 1, caB.cert())), USERS_B, bob, caB.cert());

        assertThat(outcome.authenticated()).as(outcome.outcome().toString()).isTrue();
        assertThat(outcome.outcome().recordAtDepth()).isEqualTo("2 1 1@1");
    }

    @Test
    void oneDomainsCaCannotCertifyAUserOfTheOther() {
        // a.example's CA issues a certificate naming b.example; b.example publishes its own CA
        Issued forged = person(caA).dnsNames("b.example").emails("bob@b.example").build();

        DomainUserOutcome outcome = verify(new Source(tlsa(2, 0, 0, caB.cert())), USERS_B, forged);

        assertThat(outcome.authenticated()).isFalse();
        assertThat(outcome.outcome().reason()).isEqualTo(Reason.NO_MATCH);
    }

    @Test
    void aDaneEeRecordAtAUserNameIsNotUsable() {
        Issued alice = person(caA).dnsNames("a.example").emails("alice@a.example").build();

        DomainUserOutcome outcome = verify(new Source(tlsa(3, 1, 1, alice.cert())), USERS_A, alice);

        assertThat(outcome.authenticated()).isFalse();
        assertThat(outcome.outcome().reason()).isEqualTo(Reason.NO_USABLE_RECORDS);
        assertThat(outcome.outcome().detail()).contains("DANE-TA, 2 x x");
    }

    @Test
    void aLeafThatNamesNoUserCostsNoDnsQuery() {
        Source source = new Source(tlsa(2, 0, 0, caA.cert()));

        DomainUserOutcome outcome = verify(source, USERS_A,
                person(caA).dnsNames("a.example", "b.example").emails("alice@a.example").build());

        assertThat(outcome.outcome().reason()).isEqualTo(Reason.NAME_MISMATCH);
        assertThat(outcome.user()).isNull();
        assertThat(source.asked).isEmpty();
    }

    @Test
    void aNameOffTheAllowListCostsNoDnsQuery() throws Exception {
        Source source = new Source(tlsa(2, 0, 0, caA.cert()));
        Issued alice = person(caA).dnsNames("a.example").emails("alice@a.example").build();

        DomainUserOutcome outcome = new DaneVerifier(source, AllowList.parse(List.of("_user.b.example")),
                MatchPolicy.defaults()).verifyDomainUser(USERS_A, List.of(alice.cert()), null);

        assertThat(outcome.outcome().reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(source.asked).isEmpty();
    }

    @Test
    void anExpiredUserCaIsRefused() {
        Issued expiredCa = TestPki.ca("Users of a.example").expired().build();
        Issued alice = person(expiredCa).dnsNames("a.example").emails("alice@a.example").build();

        DomainUserOutcome outcome = verify(new Source(tlsa(2, 0, 0, expiredCa.cert())), USERS_A, alice);

        assertThat(outcome.outcome().reason()).isEqualTo(Reason.CHAIN_INVALID);
    }

    @Test
    void theDomainUserPolicyKeepsTheClockAndDropsEverythingButDaneTa() {
        MatchPolicy policy = MatchPolicy.defaults().withEeNameCheck(true).forDomainUsers();
        assertThat(policy.domainUsers()).isTrue();
        assertThat(policy.eeNameCheck()).isFalse();
        assertThat(policy.pkixEnabled()).isFalse();
        assertThat(MatchPolicy.defaults().domainUsers()).isFalse();
    }
}
