package io.smtpsidecar.proxy;

import io.smtpsidecar.addr.IpAddresses;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Decides on a v1 line from its first {@code n} bytes, failing at the first byte that no valid line can contain, or
 * for a field that can no longer be valid, at the byte that ends it (the reason then quotes the whole field).
 *
 * <p>Every call re-reads the line from the start; a line is at most 107 bytes, so this stays cheap and the verdict
 * depends only on the bytes, never on how they were split into reads.
 */
final class V1Parser {
    private static final String SIGNATURE = "PROXY ";
    /** Longest content before the CRLF. */
    private static final int MAX_CONTENT = ProxyHeaderDecoder.V1_MAX_LENGTH - 2;
    private static final List<String> FAMILIES = List.of("TCP4", "TCP6", "UNKNOWN");
    private static final List<String> FIELD_NAMES =
            List.of("source address", "destination address", "source port", "destination port");

    private V1Parser() {
    }

    static Step evaluate(byte[] buf, int n) {
        int end = 0;
        while (end < n && buf[end] >= 0x20 && buf[end] <= 0x7E) {
            end++;
        }
        boolean crSeen = end < n && buf[end] == '\r';
        String content = new String(buf, 0, end, StandardCharsets.US_ASCII);
        String problem = check(content, crSeen, end < n);
        if (problem != null) {
            return new Step.Fail(problem);
        }
        if (end == n || (crSeen && end + 1 == n)) {
            return new Step.Wait(n + 1);
        }
        if (!crSeen) {
            return new Step.Fail(buf[end] == '\n'
                    ? "v1: LF without CR at offset " + end
                    : String.format("v1: non-printable byte 0x%02X at offset %d", buf[end] & 0xFF, end));
        }
        if (buf[end + 1] != '\n') {
            return new Step.Fail("v1: CR not followed by LF at offset " + end);
        }
        return new Step.Done(header(content, end + 2));
    }

    /**
     * Returns why {@code content} cannot start (or, when {@code complete}, be) the text of a valid line before its
     * CRLF, or null when it still can. A field that can no longer become valid is reported once it has ended (a
     * space, or any byte that ends {@code content}: {@code ended}), so that the reason quotes all of it; the line's
     * length limit still ends the wait.
     */
    private static String check(String content, boolean complete, boolean ended) {
        int signature = Math.min(content.length(), SIGNATURE.length());
        if (!content.regionMatches(0, SIGNATURE, 0, signature)) {
            return "v1: expected \"PROXY \" signature";
        }
        if (signature < SIGNATURE.length()) {
            return complete ? "v1: line ends before the protocol family" : null;
        }
        String[] fields = content.substring(SIGNATURE.length()).split(" ", -1);
        String family = fields[0];
        boolean familyGrowing = fields.length == 1 && !complete;
        if (familyGrowing && FAMILIES.stream().anyMatch(f -> f.startsWith(family))) {
            return null;
        }
        if (familyGrowing && !ended && content.length() <= MAX_CONTENT) {
            return null;
        }
        if (family.equals("UNKNOWN")) {
            // anything after "UNKNOWN " is ignored by the spec; only the length still matters
            return content.length() > MAX_CONTENT ? tooLong() : null;
        }
        if (!family.equals("TCP4") && !family.equals("TCP6")) {
            return family.isEmpty() ? "v1: empty protocol family" : "v1: unknown protocol family: " + family;
        }
        return checkTcp(content.length(), fields, complete, ended);
    }

    private static String checkTcp(int contentLength, String[] fields, boolean complete, boolean ended) {
        String family = fields[0];
        List<V1Field> kinds = kinds(family);
        int stillNeeded = 0;
        int unfinishedBad = -1;
        int present = Math.min(fields.length - 1, kinds.size());
        for (int i = 0; i < present; i++) {
            String field = fields[i + 1];
            V1Field kind = kinds.get(i);
            boolean growing = i + 1 == fields.length - 1 && !complete;
            int completion = growing ? kind.completion(field) : kind.isValid(field) ? 0 : -1;
            if (completion < 0 && growing && !ended) {
                unfinishedBad = i;
            } else if (completion < 0) {
                return describe(family, i, field);
            } else {
                stillNeeded += completion;
            }
        }
        if (fields.length - 1 > kinds.size()) {
            return "v1: space after the destination port";
        }
        if (complete && present < kinds.size()) {
            return "v1: " + family + " line has " + (fields.length + 1) + " fields, expected 6";
        }
        for (int i = present; i < kinds.size(); i++) {
            stillNeeded += 1 + kinds.get(i).minLength();
        }
        if (contentLength + stillNeeded <= MAX_CONTENT) {
            return null;
        }
        return unfinishedBad >= 0 ? describe(family, unfinishedBad, fields[unfinishedBad + 1]) : tooLong();
    }

    /** {@code v1: invalid TCP4 source address: 192.0.02.1 (leading zero)}: the whole field and, where known, why. */
    private static String describe(String family, int index, String field) {
        String name = FIELD_NAMES.get(index);
        if (field.isEmpty()) {
            return "v1: empty " + name + " field";
        }
        String flaw = kinds(family).get(index).flaw(field);
        return "v1: invalid " + (index < 2 ? family + " " : "") + name + ": " + field
                + (flaw == null ? "" : " (" + flaw + ")");
    }

    private static String tooLong() {
        return "v1: header line longer than " + ProxyHeaderDecoder.V1_MAX_LENGTH + " bytes";
    }

    private static List<V1Field> kinds(String family) {
        V1Field address = family.equals("TCP6") ? V1Field.IPV6 : V1Field.IPV4;
        return List.of(address, address, V1Field.PORT, V1Field.PORT);
    }

    /** Builds the header from a line {@link #check} accepted as complete. */
    private static ProxyHeader header(String content, int length) {
        String[] fields = content.split(" ", -1);
        if (fields[1].equals("UNKNOWN")) {
            return new ProxyHeader(1, true, null, null, List.of(), length);
        }
        boolean v6 = fields[1].equals("TCP6");
        return new ProxyHeader(1, false, endpoint(fields[2], fields[4], v6), endpoint(fields[3], fields[5], v6),
                List.of(), length);
    }

    private static InetSocketAddress endpoint(String address, String port, boolean v6) {
        byte[] bytes = v6 ? IpAddresses.parseIpv6(address) : IpAddresses.parseIpv4(address);
        return new InetSocketAddress(IpAddresses.toAddress(bytes), Integer.parseInt(port));
    }
}
