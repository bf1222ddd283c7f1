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

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The head resolver under dnsjava's {@code ValidatingResolver}: completes TLSA answers that end in a CNAME whose
 * target the server did not answer, as a recursive resolver would.
 *
 * <p>Why: an authoritative server (or any server that does not chase CNAMEs into other zones) answers
 * {@code a.example.test TLSA} with just {@code a CNAME b.other.test} and an empty authority section. dnsjava
 * classifies that as CNAME_NODATA and, finding no NSEC proof for the target, calls it bogus, so the validator never
 * lets such a chain through, however well each link is signed. Here the target is queried and its answer (and
 * authority section, and RCODE) appended, giving the validator the complete chain; it still validates every RRset
 * of it against its own zone's keys, so nothing is trusted that was not validated (the merged message is exactly
 * what an untrusted recursive resolver would send).
 */
final class CnameChasingResolver implements Resolver {

    private final Resolver head;
    private final int maxLinks;

    CnameChasingResolver(Resolver head, int maxLinks) {
        this.head = head;
        this.maxLinks = maxLinks;
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
        if (question == null || question.getType() != Type.TLSA || response.getRcode() != Rcode.NOERROR
                || queries >= maxLinks) {
            return CompletableFuture.completedFuture(response);
        }
        Name target = unansweredTarget(question.getName(), question.getType(), response);
        if (target == null) {
            return CompletableFuture.completedFuture(response);
        }
        Message next = Message.newQuery(org.xbill.DNS.Record.newRecord(target, question.getType(), DClass.IN));
        next.getHeader().setFlag(Flags.RD);
        if (query.getHeader().getFlag(Flags.CD)) {
            next.getHeader().setFlag(Flags.CD);
        }
        return head.sendAsync(next).thenCompose(targetResponse -> {
            int rcode = targetResponse.getRcode();
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                return CompletableFuture.completedFuture(response); // the validator judges the incomplete chain
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
            return chase(query, merged, queries + 1);
        });
    }

    /**
     * The end of the CNAME chain that starts at {@code qname} in the answer section, when the response neither
     * answers it nor carries a denial for it (SOA/NSEC/NSEC3 in the authority section); otherwise null.
     */
    private Name unansweredTarget(Name qname, int qtype, Message response) {
        List<org.xbill.DNS.Record> answer = response.getSection(Section.ANSWER);
        Name current = qname;
        for (int link = 0; link <= maxLinks; link++) {
            Name owner = current;
            if (answer.stream().anyMatch(r -> r.getName().equals(owner) && r.getType() == qtype)) {
                return null;
            }
            CNAMERecord cname = (CNAMERecord) answer.stream()
                    .filter(r -> r.getName().equals(owner) && r.getType() == Type.CNAME)
                    .findFirst().orElse(null);
            if (cname == null) {
                break;
            }
            current = cname.getTarget();
        }
        if (current.equals(qname)) {
            return null;
        }
        boolean denial = response.getSection(Section.AUTHORITY).stream()
                .anyMatch(r -> r.getType() == Type.SOA || r.getType() == Type.NSEC || r.getType() == Type.NSEC3);
        return denial ? null : current;
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
