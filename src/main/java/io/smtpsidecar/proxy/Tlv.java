package io.smtpsidecar.proxy;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One PROXY protocol v2 type-length-value entry, as it appeared on the wire.
 *
 * <p>The sub-TLVs of a {@link #TYPE_SSL} entry are not split out: they stay in {@link #value()} after its client
 * and verify fields. The value is copied on the way in and out, so an instance cannot change after construction.
 *
 * @param type  the TLV type, 0..255
 * @param value the value bytes, at most 65535
 */
public record Tlv(int type, byte[] value) {
    /** PP2_TYPE_CRC32C: CRC-32C over the whole header with this value zeroed. */
    public static final int TYPE_CRC32C = 0x03;
    /** PP2_TYPE_SSL: client flags, verify result, then sub-TLVs. */
    public static final int TYPE_SSL = 0x20;

    public Tlv {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("TLV type must be 0..255, got " + type);
        }
        if (value.length > 65535) {
            throw new IllegalArgumentException("TLV value must be at most 65535 bytes, got " + value.length);
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tlv tlv && tlv.type == type && Arrays.equals(tlv.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return String.format("Tlv[type=0x%02X, value=%s]", type, HexFormat.of().formatHex(value));
    }
}
