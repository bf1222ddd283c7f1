package io.github.keycloakdane.dns;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The one place that follows CNAMEs, for both DNSSEC modes: the head resolver under dnsjava's
 * {@code ValidatingResolver} (local validation), or the resolver itself (trust-AD mode). It completes TLSA answers
 * that end in a CNAME whose target the server did not answer, as a recursive resolver would, and bounds the chain.
 *
 * <p>Why: an authoritative server (or any server that does not chase CNAMEs into other zones) answers
 * {@code a.example.test TLSA} with just {@code a CNAME b.other.test} and an empty authority section. dnsjava
 * classifies that as CNAME_NODATA and, finding no NSEC proof for the target, calls it bogus, so the validator never
 * lets such a chain through, however well each link is signed. Here the target is queried and its answer (and
 * authority section, and RCODE) appended, giving the validator the complete chain; it still validates every RRset
 * of it against its own zone's keys, so nothing is trusted that was not validated (the merged message is exactly
 * what an untrusted recursive resolver would send). In trust-AD mode the merged answer carries the AD bit only when
 * every answer it was made of did. A chain longer than {@code maxLinks} completes the query exceptionally with
 * {@link ChainTooLongException}, whether it took queries to learn that or the first answer held it all.
 */
final class CnameChasingResolver implements Resolver {

    /** The CNAME chain from a query name in an answer section, as far as the answer goes. */
    record Chain(Name end, List<Name> path, List<org.xbill.DNS.Record> cnames, List<org.xbill.DNS.Record> records,
                 boolean tooLong) {
    }

    /** A chain with more links than allowed (a loop is one). */
    static final class ChainTooLongException extends IOException {
        ChainTooLongException(int maxLinks, List<Name> path) {
            super(describe(maxLinks, path));
        }

        /** The one wording of this failure, also where an answer ending in NXDOMAIN holds the long chain. */
        static String describe(int maxLinks, List<Name> path) {
            return "CNAME chain longer than " + maxLinks + " links: " + path;
        }
    }

    private final Resolver head;
    private final int maxLinks;

    CnameChasingResolver(Resolver head, int maxLinks) {
        this.head = head;
        this.maxLinks = maxLinks;
    }

    /**
     * Follows the CNAMEs from {@code qname} through {@code answer}: to the records of {@code qtype} at the end, to
     * a name the answer says nothing more about (no records), or past {@code maxLinks} links ({@code tooLong}).
     */
    static Chain follow(Name qname, int qtype, List<org.xbill.DNS.Record> answer, int maxLinks) {
        Name current = qname;
        List<Name> path = new ArrayList<>();
        List<org.xbill.DNS.Record> cnames = new ArrayList<>();
        while (true) {
            Name owner = current;
            List<org.xbill.DNS.Record> records = answer.stream()
                    .filter(r -> r.getName().equals(owner) && r.getType() == qtype).toList();
            if (!records.isEmpty()) {
                return new Chain(current, path, cnames, records, false);
            }
            CNAMERecord cname = (CNAMERecord) answer.stream()
                    .filter(r -> r.getName().equals(owner) && r.getType() == Type.CNAME).findFirst().orElse(null);
            if (cname == null) {
                return new Chain(current, path, cnames, List.of(), false);
            }
            if (path.size() == maxLinks) {
                return new Chain(current, path, cnames, List.of(), true);
            }
            current = cname.getTarget();
            path.add(current);
            cnames.add(cname);
        }
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
        return head.sendAsync(query).thenCompose(response -> chase(query, response, 0));
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        return head.sendAsync(query, executor).thenCompose(response -> chase(query, response, 0));
    }

    private CompletionStage<Message> chase(Message query, Message response, int queries) {
        org.xbill.DNS.Record question = query.getQuestion();
        if (question == null || question.getType() != Type.TLSA || response.getRcode() != Rcode.NOERROR) {
            return CompletableFuture.completedFuture(response);
        }
        Chain chain = follow(question.getName(), question.getType(), response.getSection(Section.ANSWER), maxLinks);
        if (chain.tooLong()) {
            return CompletableFuture.failedFuture(new ChainTooLongException(maxLinks, chain.path()));
        }
        if (!chain.records().isEmpty() || chain.path().isEmpty() || hasDenial(response) || queries > maxLinks) {
            // answered, no chain, the end securely denied, or (a safety net: every query that continues the chase
            // added a link, which follow() bounds) no more queries
            return CompletableFuture.completedFuture(response);
        }
        Message next = Message.newQuery(org.xbill.DNS.Record.newRecord(chain.end(), question.getType(), DClass.IN));
        for (int flag : new int[] {Flags.CD, Flags.AD}) { // newQuery sets RD itself
            if (query.getHeader().getFlag(flag)) {
                next.getHeader().setFlag(flag);
            }
        }
        return head.sendAsync(next).thenCompose(targetResponse -> {
            int rcode = targetResponse.getRcode();
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                Message failed = response.clone(); // the chain cannot be completed: the target's failure is the answer
                failed.getHeader().setRcode(rcode);
                failed.getHeader().unsetFlag(Flags.AD);
                return CompletableFuture.completedFuture(failed);
            }
            Message merged = response.clone();
            for (org.xbill.DNS.Record r : targetResponse.getSection(Section.ANSWER)) {
                merged.addRecord(r, Section.ANSWER);
            }
            merged.removeAllRecords(Section.AUTHORITY);
            for (org.xbill.DNS.Record r : targetResponse.getSection(Section.AUTHORITY)) {
                merged.addRecord(r, Section.AUTHORITY);
            }
            merged.getHeader().setRcode(rcode);
            if (!targetResponse.getHeader().getFlag(Flags.AD)) {
                merged.getHeader().unsetFlag(Flags.AD); // secure only if every link was
            }
            // an empty answer ends the chase: the end has no records (NODATA or NXDOMAIN, proven or not)
            return targetResponse.getSection(Section.ANSWER).isEmpty() ? CompletableFuture.completedFuture(merged)
                    : chase(query, merged, queries + 1);
        });
    }

    /** A denial of the chain's end (SOA/NSEC/NSEC3 in the authority section): nothing left to chase. */
    private static boolean hasDenial(Message response) {
        return response.getSection(Section.AUTHORITY).stream()
                .anyMatch(r -> r.getType() == Type.SOA || r.getType() == Type.NSEC || r.getType() == Type.NSEC3);
    }

    @Override
    public void setPort(int port) {
        head.setPort(port);
    }

    @Override
    public void setTCP(boolean flag) {
        head.setTCP(flag);
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
        head.setIgnoreTruncation(flag);
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
        head.setEDNS(version, payloadSize, flags, options);
    }

    @Override
    public void setTSIGKey(TSIG key) {
        head.setTSIGKey(key);
    }

    @Override
    public void setTimeout(Duration timeout) {
        head.setTimeout(timeout);
    }

    @Override
    public Duration getTimeout() {
        return head.getTimeout();
    }

    @Override
    public String toString() {
        return "CnameChasingResolver[" + head + "]";
    }
}
