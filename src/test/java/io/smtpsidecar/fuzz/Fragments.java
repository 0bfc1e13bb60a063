package io.smtpsidecar.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Splits a fuzz input into reads the way a socket might deliver it, chosen by a fuzzer-controlled seed. */
final class Fragments {
    private Fragments() {
    }

    /**
     * Cuts {@code input} into chunks. The seed's low bits pick a style (one byte at a time, small reads, or a few
     * large ones); the rest seeds the cut positions. Empty chunks are included now and then: a read of zero bytes
     * must change nothing.
     */
    static List<byte[]> split(byte[] input, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int style = (int) (seed & 3);
        List<byte[]> chunks = new ArrayList<>();
        int pos = 0;
        while (pos < input.length) {
            int size = switch (style) {
                case 0 -> 1;
                case 1 -> 1 + random.nextInt(8);
                case 2 -> 1 + random.nextInt(Math.max(1, input.length / 3));
                default -> random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(64);
            };
            int end = Math.min(input.length, pos + size);
            chunks.add(Arrays.copyOfRange(input, pos, end));
            pos = end;
        }
        return chunks;
    }

    static byte[] concat(List<byte[]> parts) {
        int total = parts.stream().mapToInt(p -> p.length).sum();
        byte[] out = new byte[total];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }
}
