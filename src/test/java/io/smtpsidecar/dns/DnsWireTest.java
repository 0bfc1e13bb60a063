package io.smtpsidecar.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.dns.DnsWire.Answer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DNS query and answer bytes, one vector per case; the answers are built around the query's own question. */
class DnsWireTest {
    private static final String REVERSE = "1.2.0.192.in-addr.arpa";
    private static final int ID = 0x1234;
    /** The question as it stands at offset 12 of {@link #query()} and of every answer. */
    private static final String QUESTION = "0131 0132 0130 03313932 07696e2d61646472 0461727061 00 000c 0001";
    private static final int QUESTION_AT = 12;
    /** Offset of "in-addr.arpa" inside the question, for compression pointers. */
    private static final int IN_ADDR_AT = QUESTION_AT + 10;

    private static byte[] query() {
        return DnsWire.query(ID, REVERSE, DnsWire.TYPE_PTR);
    }

    @Test
    void queryIsRecursiveWithOneQuestionAndAnEdnsRecord() {
        assertThat(HexFormat.of().formatHex(query())).isEqualTo(hex(
            "1234 0100 0001 0000 0000 0001" + QUESTION + "00 0029 04d0 00000000 0000"));
    }

    @Test
    void ptrAnswerWithACompressedTarget() {
        // owner: pointer to the question; target: "host" + pointer to "in-addr.arpa"
        byte[] target = bytes("04686f7374 c0" + hexByte(IN_ADDR_AT));
        byte[] answer = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, target));
        assertThat(read(answer)).isEqualTo(new Answer.Values(List.of("host.in-addr.arpa")));
    }

    @Test
    void ptrNameOfExactly255BytesIsRead() {
        String name = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        byte[] answer = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, wireName(name)));
        assertThat(read(answer)).isEqualTo(new Answer.Values(List.of(name)));
    }

    @Test
    void ptrNameOver255BytesIsUnusable() {
        String name = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(62);
        byte[] answer = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, wireName(name)));
        assertThat(read(answer)).isEqualTo(new Answer.Unusable("PTR name longer than 255 bytes"));
    }

    @Test
    void labelWithADotCannotPassForTwoLabels() {
        byte[] answer = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, bytes("03612e62 076578616d706c65 00")));
        assertThat(read(answer)).isEqualTo(new Answer.Values(List.of("a\\.b.example")));
    }

    @Test
    void truncatedAnswerIsTemporary() {
        assertThat(read(answer(0x8380, 0))).isEqualTo(new Answer.Temporary("truncated answer"));
    }

    @Test
    void nxdomainIsNoValues() {
        assertThat(read(answer(0x8183, 0))).isEqualTo(new Answer.Values(List.of()));
    }

    @Test
    void serverFailureIsTemporary() {
        assertThat(read(answer(0x8182, 0))).isEqualTo(new Answer.Temporary("server answered RCODE 2"));
    }

    @Test
    void recordsOfAnotherNameOrTypeAreSkipped() {
        byte[] answer = answer(0x8180, 2,
            record(0xC00C + 2, DnsWire.TYPE_PTR, bytes("0178 00")), // owner "2.0.192.in-addr.arpa"
            record(0xC00C, 5, bytes("0179 00"))); // a CNAME
        assertThat(read(answer)).isEqualTo(new Answer.Values(List.of()));
    }

    @Test
    void addressRecordsBecomeLiterals() {
        assertThat(readAddress(DnsWire.TYPE_A, "c0000201")).isEqualTo(new Answer.Values(List.of("192.0.2.1")));
        assertThat(readAddress(DnsWire.TYPE_AAAA, "20010db8000000000000000000000001"))
            .isEqualTo(new Answer.Values(List.of("2001:db8::1")));
    }

    @Test
    void addressRecordOfTheWrongSizeIsMalformed() {
        assertThat(readAddress(DnsWire.TYPE_A, "c000020100"))
            .isEqualTo(new Answer.Temporary("malformed answer: A record of 5 bytes"));
    }

    @Test
    void compressionLoopIsMalformed() {
        // target "x" followed by a pointer back to the "x" label itself: each hop must go before the last one
        int targetAt = answer(0x8180, 1).length + 12;
        byte[] answer = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, bytes("0178 c0" + hexByte(targetAt))));
        assertThat(read(answer))
            .isEqualTo(new Answer.Temporary("malformed answer: compression pointer does not point backwards"));
    }

    @Test
    void answerCutShortIsMalformed() {
        byte[] whole = answer(0x8180, 1, record(0xC00C, DnsWire.TYPE_PTR, bytes("04686f7374 00")));
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);
        assertThat(read(cut)).isEqualTo(new Answer.Temporary("malformed answer: the message ends early"));
    }

    @Test
    void datagramsThatAnswerSomethingElseAreForeign() {
        byte[] good = answer(0x8180, 0);
        byte[] otherId = good.clone();
        otherId[1] = 0x35;
        byte[] notAResponse = good.clone();
        notAResponse[2] = 0x01;
        byte[] otherName = good.clone();
        otherName[QUESTION_AT + 1] = '9';
        assertThat(read(otherId)).isEqualTo(new Answer.Foreign());
        assertThat(read(notAResponse)).isEqualTo(new Answer.Foreign());
        assertThat(read(otherName)).isEqualTo(new Answer.Foreign());
        assertThat(read(bytes("1234 81"))).isEqualTo(new Answer.Foreign());
        assertThat(DnsWire.read(good, ID, REVERSE, DnsWire.TYPE_A)).isEqualTo(new Answer.Foreign());
    }

    private static Answer read(byte[] answer) {
        return DnsWire.read(answer, ID, REVERSE, DnsWire.TYPE_PTR);
    }

    /** The answer to an A or AAAA query for mx.example with one record, read as the answer for MX.example. */
    private static Answer readAddress(int type, String rdataHex) {
        byte[] query = DnsWire.query(7, "mx.example", type);
        byte[] answer = concat(header(7, 0x8180, 1), questionOf(query), record(0xC00C, type, bytes(rdataHex)));
        return DnsWire.read(answer, 7, "MX.example", type);
    }

    private static byte[] answer(int flags, int count, byte[]... records) {
        return concat(header(ID, flags, count), questionOf(query()), concat(records));
    }

    private static byte[] header(int id, int flags, int answers) {
        return bytes(String.format("%04x %04x 0001 %04x 0000 0000", id, flags, answers));
    }

    /** The question section of a query built by {@link DnsWire#query} (it ends before the 11-byte OPT record). */
    private static byte[] questionOf(byte[] query) {
        return Arrays.copyOfRange(query, QUESTION_AT, query.length - 11);
    }

    private static byte[] record(int ownerPointer, int type, byte[] rdata) {
        return concat(bytes(String.format("%04x %04x 0001 0000003c %04x", ownerPointer, type, rdata.length)), rdata);
    }

    private static byte[] wireName(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(0);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String hexByte(int value) {
        return String.format("%02x", value);
    }

    private static String hex(String spaced) {
        return spaced.replace(" ", "");
    }

    private static byte[] bytes(String spacedHex) {
        return HexFormat.of().parseHex(hex(spacedHex));
    }
}
