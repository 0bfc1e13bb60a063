package io.smtpsidecar.hosts;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Splits an Exim list string into raw items (Exim spec "Changing list separators").
 *
 * <p>The separator is {@code :} unless the list starts with {@code <} followed by one ASCII punctuation character,
 * which then becomes the separator. A doubled separator stands for one literal separator character, which is how
 * IPv6 addresses are written in colon lists ({@code ::::1} is {@code ::1}). Items are returned as found, untrimmed
 * and possibly empty; the caller decides what an item means.
 */
final class EximListSyntax {
    static final char DEFAULT_SEPARATOR = ':';

    /** The separator in force and the raw items, in list order. */
    record Split(char separator, List<String> items) {
    }

    private EximListSyntax() {
    }

    static Split split(String list) {
        String s = Objects.requireNonNull(list, "list").strip();
        char separator = DEFAULT_SEPARATOR;
        int pos = 0;
        if (s.length() >= 2 && s.charAt(0) == '<' && isSeparatorCandidate(s.charAt(1))) {
            separator = s.charAt(1);
            pos = 2;
        }
        List<String> items = new ArrayList<>();
        StringBuilder item = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c != separator) {
                item.append(c);
            } else if (pos < s.length() && s.charAt(pos) == separator) {
                item.append(separator);
                pos++;
            } else {
                items.add(item.toString());
                item.setLength(0);
            }
        }
        items.add(item.toString());
        return new Split(separator, List.copyOf(items));
    }

    private static boolean isSeparatorCandidate(char c) {
        return c > ' ' && c < 0x7f && !Character.isLetterOrDigit(c);
    }
}
