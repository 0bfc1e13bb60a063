package io.smtpsidecar.proxy;

import io.smtpsidecar.addr.IpAddresses;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * Decides on a v2 header from its first {@code n} bytes: the 16 fixed bytes are judged one by one as they arrive,
 * the address block and TLVs only once the whole announced length is buffered.
 */
final class V2Parser {
    static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final int FIXED_LENGTH = 16;

    private static final int FAMILY_UNSPEC = 0x00;
    private static final int FAMILY_TCP4 = 0x11;
    private static final int FAMILY_TCP6 = 0x21;

    private V2Parser() {
    }

    /** True when the buffer starts with the full 12-byte signature. */
    static boolean hasSignature(byte[] buf, int n) {
        return n >= SIGNATURE.length && Arrays.equals(buf, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length);
    }

    /** The announced number of bytes after the fixed part; needs 16 bytes. */
    static int declaredLength(byte[] buf) {
        return ((buf[14] & 0xFF) << 8) | (buf[15] & 0xFF);
    }

    static Step evaluate(byte[] buf, int n, int maxHeaderBytes) {
        for (int i = 0; i < Math.min(n, SIGNATURE.length); i++) {
            if (buf[i] != SIGNATURE[i]) {
                return new Step.Fail("v2: signature mismatch at offset " + i);
            }
        }
        if (n <= SIGNATURE.length) {
            return new Step.Wait(n + 1);
        }
        int version = (buf[12] & 0xF0) >> 4;
        int command = buf[12] & 0x0F;
        if (version != 2) {
            return new Step.Fail("v2: unsupported version " + version);
        }
        if (command > 1) {
            return new Step.Fail("v2: unsupported command " + command);
        }
        boolean proxy = command == 1;
        if (n == 13) {
            return new Step.Wait(14);
        }
        int family = buf[13] & 0xFF;
        // LOCAL ignores the family byte entirely, as the spec requires
        String familyProblem = proxy ? checkFamily(family) : null;
        if (familyProblem != null) {
            return new Step.Fail(familyProblem);
        }
        if (n < FIXED_LENGTH) {
            return new Step.Wait(n + 1);
        }
        int total = FIXED_LENGTH + declaredLength(buf);
        if (total > maxHeaderBytes) {
            return new Step.Fail("v2: header length " + total + " exceeds the limit of " + maxHeaderBytes + " bytes");
        }
        boolean withAddresses = proxy && family != FAMILY_UNSPEC;
        int block = withAddresses ? addressBlockLength(family) : 0;
        if (total - FIXED_LENGTH < block) {
            return new Step.Fail(String.format("v2: length %d is shorter than the %s address block (%d bytes)",
                    total - FIXED_LENGTH, family == FAMILY_TCP4 ? "TCP4" : "TCP6", block));
        }
        if (n < total) {
            return new Step.Wait(total);
        }
        if (!withAddresses) {
            // LOCAL and PROXY/UNSPEC: the announced bytes are skipped unread
            return new Step.Done(new ProxyHeader(2, true, null, null, List.of(), total));
        }
        int tlvStart = FIXED_LENGTH + block;
        String tlvProblem = V2Tlvs.check(buf, tlvStart, total);
        if (tlvProblem != null) {
            return new Step.Fail(tlvProblem);
        }
        int size = family == FAMILY_TCP4 ? 4 : 16;
        int ports = FIXED_LENGTH + 2 * size;
        InetSocketAddress source = endpoint(buf, FIXED_LENGTH, size, ports);
        InetSocketAddress destination = endpoint(buf, FIXED_LENGTH + size, size, ports + 2);
        return new Step.Done(new ProxyHeader(2, false, source, destination, V2Tlvs.read(buf, tlvStart, total),
                total));
    }

    private static String checkFamily(int family) {
        return switch (family) {
            case FAMILY_UNSPEC, FAMILY_TCP4, FAMILY_TCP6 -> null;
            case 0x12 -> unsupported(family, "UDP over IPv4");
            case 0x22 -> unsupported(family, "UDP over IPv6");
            case 0x31 -> unsupported(family, "UNIX stream");
            case 0x32 -> unsupported(family, "UNIX datagram");
            default -> String.format("v2: invalid family byte 0x%02X", family);
        };
    }

    private static String unsupported(int family, String name) {
        return String.format("v2: unsupported family 0x%02X (%s) on a TCP service", family, name);
    }

    private static int addressBlockLength(int family) {
        return family == FAMILY_TCP4 ? 12 : 36;
    }

    private static InetSocketAddress endpoint(byte[] buf, int addressAt, int size, int portAt) {
        byte[] address = Arrays.copyOfRange(buf, addressAt, addressAt + size);
        int port = ((buf[portAt] & 0xFF) << 8) | (buf[portAt + 1] & 0xFF);
        return new InetSocketAddress(IpAddresses.toAddress(address), port);
    }
}
