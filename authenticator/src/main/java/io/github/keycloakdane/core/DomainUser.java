package io.github.keycloakdane.core;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A person certified by their own domain (draft-ietf-dance-architecture, "User" and "Domain Users"): the domain
 * publishes the CA that issues its users' certificates as DANE-TA at {@code _user.DOMAIN}; a user's certificate
 * carries exactly one dNSName, {@code DOMAIN}, and the user's id as an {@code otherName} uid (RFC 4519,
 * {@value #UID_OID}) or as an email address, rfc822Name or SmtpUTF8Mailbox (RFC 9598, {@value #SMTP_UTF8_MAILBOX_OID}),
 * whose domain part is exactly {@code DOMAIN}. The authenticated identity is {@code uid@domain}, lower case.
 *
 * <p>{@link #of} reads the leaf only: no I/O, so it runs before any DNS query. Every refusal is a
 * {@link DomainUserException} with {@link Reason#NAME_MISMATCH} (the dNSName) or {@link Reason#USER_ID_INVALID}
 * (the uid) and a message saying what is wrong.
 *
 * @param uid    the user's id within the domain, lower case, without {@code @}
 * @param domain the domain, in normal form
 */
public record DomainUser(String uid, DaneName domain) {

    /** The first label of a domain's user name: {@code _user.DOMAIN}. */
    public static final String USER_LABEL = "_user";
    /** RFC 4519 uid (userid). */
    public static final String UID_OID = "0.9.2342.19200300.100.1.1";
    /** RFC 9598 id-on-SmtpUTF8Mailbox. */
    public static final String SMTP_UTF8_MAILBOX_OID = "1.3.6.1.5.5.7.8.9";
    /** The longest uid: an SMTP local part's limit (RFC 5321 §4.5.3.1.1). */
    public static final int MAX_UID_LENGTH = 64;

    private static final int OTHER_NAME = 0;
    private static final int RFC822_NAME = 1;
    private static final int DNS_NAME = 2;

    public DomainUser {
        if (uid == null || domain == null || problem(uid) != null || !uid.equals(uid.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("use DomainUser.of() to build a DomainUser");
        }
    }

    /** {@code uid@domain}: the identity the server authenticates (username, email, {@code dane_user}). */
    public String address() {
        return uid + "@" + domain.value();
    }

    /** {@code _user.DOMAIN}: the owner name of the domain's user CA. */
    public DaneName userName() {
        return userNameOf(domain);
    }

    @Override
    public String toString() {
        return address();
    }

    /** {@code _user.} in front of {@code domain}. */
    public static DaneName userNameOf(DaneName domain) {
        try {
            return DaneName.parse(USER_LABEL + "." + domain.value());
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(e.getMessage(), e); // only a domain of 247+ octets
        }
    }

    /** The domain of a {@code _user.DOMAIN} name; null when the name is not of that form. */
    public static DaneName domainOf(DaneName userName) {
        String prefix = USER_LABEL + ".";
        if (userName == null || !userName.value().startsWith(prefix)) {
            return null;
        }
        try {
            return DaneName.parse(userName.value().substring(prefix.length()));
        } catch (InvalidNameException e) {
            return null; // _user.com: one label left, not a domain of users
        }
    }

    /**
     * The {@code _user.DOMAIN} name for what a person typed: {@code uid@domain} (only the domain part counts here;
     * the certificate decides the uid). Throws when it is no address of a valid domain.
     */
    public static DaneName userNameOfAddress(String address) throws InvalidNameException {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            throw new InvalidNameException("'" + address + "' is not an address uid@domain");
        }
        return userNameOf(DaneName.parse(address.substring(at + 1)));
    }

    /**
     * The domain user the leaf certifies for the name {@code userName} ({@code _user.DOMAIN}): exactly one dNSName,
     * equal to DOMAIN; a uid from the otherName uid or from email addresses of DOMAIN, all of them naming one uid.
     */
    public static DomainUser of(DaneName userName, X509Certificate leaf) throws DomainUserException {
        DaneName domain = domainOf(userName);
        if (domain == null) {
            throw new DomainUserException(Reason.INVALID_NAME, userName + " is not a domain's user name ("
                    + USER_LABEL + ".DOMAIN)");
        }
        Collection<List<?>> sans;
        try {
            sans = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new DomainUserException(Reason.USER_ID_INVALID, "the certificate's subjectAltName does not parse: "
                    + e.getMessage());
        }
        List<String> dnsNames = new ArrayList<>();
        Set<String> uids = new LinkedHashSet<>();
        List<String> refused = new ArrayList<>();
        for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
            if (san.size() < 2 || !(san.get(0) instanceof Integer type)) {
                continue;
            }
            Object value = san.get(1);
            if (type == DNS_NAME && value instanceof String s) {
                dnsNames.add(s);
            } else if (type == RFC822_NAME && value instanceof String mailbox) {
                fromMailbox(mailbox, domain, uids, refused);
            } else if (type == OTHER_NAME && value instanceof byte[] der) {
                OtherName other = OtherName.parse(der);
                if (other == null) {
                    refused.add("an otherName that does not parse");
                } else if (UID_OID.equals(other.typeId)) {
                    uids.add(other.value);
                } else if (SMTP_UTF8_MAILBOX_OID.equals(other.typeId)) {
                    fromMailbox(other.value, domain, uids, refused);
                }
                // other otherNames (e.g. a UPN) say nothing about a domain user
            }
        }
        if (dnsNames.size() != 1) {
            throw new DomainUserException(Reason.NAME_MISMATCH, "a domain user's certificate carries exactly one"
                    + " dNSName, its domain " + domain + "; this one carries " + dnsNames.size() + ": " + dnsNames);
        }
        String dnsName = dnsNames.get(0).toLowerCase(Locale.ROOT);
        if (dnsName.endsWith(".")) {
            dnsName = dnsName.substring(0, dnsName.length() - 1);
        }
        if (!dnsName.equals(domain.value())) {
            throw new DomainUserException(Reason.NAME_MISMATCH, "the certificate's dNSName " + dnsName
                    + " is not the domain " + domain + " of " + userName);
        }
        if (!refused.isEmpty()) {
            throw new DomainUserException(Reason.USER_ID_INVALID, "the certificate carries " + String.join(", ", refused));
        }
        if (uids.isEmpty()) {
            throw new DomainUserException(Reason.USER_ID_INVALID, "the certificate names no user: no otherName uid ("
                    + UID_OID + ") and no email address of " + domain);
        }
        Set<String> lower = new LinkedHashSet<>();
        for (String uid : uids) {
            String why = problem(uid);
            if (why != null) {
                throw new DomainUserException(Reason.USER_ID_INVALID, why);
            }
            lower.add(uid.toLowerCase(Locale.ROOT));
        }
        if (lower.size() > 1) {
            throw new DomainUserException(Reason.USER_ID_INVALID, "the certificate names more than one user: " + lower);
        }
        return new DomainUser(lower.iterator().next(), domain);
    }

    /** An email address's local part, when its domain part is exactly {@code domain}; else why it is refused. */
    private static void fromMailbox(String mailbox, DaneName domain, Set<String> uids, List<String> refused) {
        int at = mailbox.lastIndexOf('@');
        String domainPart = at < 0 ? "" : mailbox.substring(at + 1);
        if (at <= 0 || !domainPart.equalsIgnoreCase(domain.value())) {
            refused.add("the email address '" + mailbox + "', which is not of the domain " + domain);
            return;
        }
        uids.add(mailbox.substring(0, at));
    }

    /** Why {@code uid} is not a valid uid, or null. */
    static String problem(String uid) {
        if (uid.isEmpty()) {
            return "the uid is empty";
        }
        if (uid.length() > MAX_UID_LENGTH) {
            return "the uid is " + uid.length() + " characters long, more than " + MAX_UID_LENGTH;
        }
        for (int i = 0; i < uid.length(); i++) {
            char c = uid.charAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE && !validSurrogate(uid, i)) {
                return "the uid contains a control or format character at position " + i;
            }
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                return "the uid contains white space at position " + i;
            }
            if (c == '@') {
                return "the uid contains '@'";
            }
        }
        return null;
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** Why a leaf names no domain user, with the reason for the event. */
    public static final class DomainUserException extends Exception {
        private final Reason reason;

        public DomainUserException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * {@code OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }} as the JDK hands it over
     * (the DER of the whole GeneralName, tag {@code [0]}, or of the SEQUENCE; the JDK wraps the value in a second
     * {@code [0]}), with a string value: UTF8String,
     * IA5String, PrintableString (a uid may be any DirectoryString; these are the ones in use).
     */
    private record OtherName(String typeId, String value) {

        static OtherName parse(byte[] der) {
            try {
                int[] outer = tlv(der, 0, der.length);
                int pos;
                int end;
                if ((der[0] & 0xff) == 0xa0) {          // GeneralName [0] IMPLICIT OtherName: the SEQUENCE's content
                    pos = outer[1];
                    end = outer[2];
                    if ((der[pos] & 0xff) == 0x30) {    // some encoders nest the SEQUENCE
                        int[] seq = tlv(der, pos, end);
                        pos = seq[1];
                        end = seq[2];
                    }
                } else if ((der[0] & 0xff) == 0x30) {
                    pos = outer[1];
                    end = outer[2];
                } else {
                    return null;
                }
                int[] oid = tlv(der, pos, end);
                if ((der[oid[0]] & 0xff) != 0x06) {
                    return null;
                }
                String typeId = oid(der, oid[1], oid[2]);
                int[] explicit = tlv(der, oid[2], end);
                if ((der[explicit[0]] & 0xff) != 0xa0) {
                    return null;
                }
                int[] string = tlv(der, explicit[1], explicit[2]);
                if ((der[string[0]] & 0xff) == 0xa0) { // the JDK re-wraps the value in its [0] once more
                    string = tlv(der, string[1], string[2]);
                }
                int tag = der[string[0]] & 0xff;
                String value = switch (tag) {
                    case 0x0c -> new String(der, string[1], string[2] - string[1], StandardCharsets.UTF_8);
                    case 0x16, 0x13 -> new String(der, string[1], string[2] - string[1], StandardCharsets.US_ASCII);
                    default -> null;
                };
                return value == null ? null : new OtherName(typeId, value);
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                return null;
            }
        }

        /** {start, contentStart, end} of the TLV at {@code pos}, which must end by {@code limit}. */
        private static int[] tlv(byte[] der, int pos, int limit) {
            if (pos + 2 > limit) {
                throw new IllegalArgumentException("truncated");
            }
            int first = der[pos + 1] & 0xff;
            int length;
            int content;
            if (first < 0x80) {
                length = first;
                content = pos + 2;
            } else {
                int octets = first & 0x7f;
                if (octets == 0 || octets > 3) {
                    throw new IllegalArgumentException("unsupported length");
                }
                length = 0;
                for (int i = 0; i < octets; i++) {
                    length = (length << 8) | (der[pos + 2 + i] & 0xff);
                }
                content = pos + 2 + octets;
            }
            if (content + length > limit) {
                throw new IllegalArgumentException("length beyond the data");
            }
            return new int[] {pos, content, content + length};
        }

        private static String oid(byte[] der, int start, int end) {
            if (start >= end) {
                throw new IllegalArgumentException("empty OID");
            }
            StringBuilder out = new StringBuilder();
            long value = 0;
            boolean first = true;
            for (int i = start; i < end; i++) {
                int b = der[i] & 0xff;
                value = (value << 7) | (b & 0x7f);
                if (value > (1L << 56)) {
                    throw new IllegalArgumentException("OID arc too large");
                }
                if ((b & 0x80) == 0) {
                    if (first) {
                        int arc = value < 40 ? 0 : value < 80 ? 1 : 2;
                        out.append(arc).append('.').append(value - 40L * arc);
                        first = false;
                    } else {
                        out.append('.').append(value);
                    }
                    value = 0;
                }
            }
            return out.toString();
        }
    }
}
