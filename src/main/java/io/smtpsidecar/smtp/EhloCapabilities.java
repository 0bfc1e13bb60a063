package io.smtpsidecar.smtp;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads what the sidecar needs from the backend's EHLO reply (RFC 5321 section 4.1.1.1). */
public final class EhloCapabilities {
    private static final String XCLIENT = "XCLIENT";

    private EhloCapabilities() {
    }

    /**
     * The attribute names of the first {@code XCLIENT} keyword line, upper-cased, in advertised order; empty when the
     * reply is not positive or has no such line. The first line of an EHLO reply is the server's name and a greeting,
     * never a keyword, so it is skipped.
     */
    public static Optional<Set<String>> xclientAttributes(SmtpReply ehloReply) {
        if (!ehloReply.isPositiveCompletion()) {
            return Optional.empty();
        }
        List<String> lines = ehloReply.lines();
        for (String line : lines.subList(1, lines.size())) {
            // only the XCLIENT line is split into words (once per backend connection; no regex)
            String keyword = line.strip();
            if (keyword.regionMatches(true, 0, XCLIENT, 0, XCLIENT.length())
                    && (keyword.length() == XCLIENT.length() || isSpace(keyword.charAt(XCLIENT.length())))) {
                Set<String> attributes = new LinkedHashSet<>();
                words(keyword.substring(XCLIENT.length()), w -> attributes.add(w.toUpperCase(Locale.ROOT)));
                return Optional.of(Collections.unmodifiableSet(attributes));
            }
        }
        return Optional.empty();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    private static void words(String text, java.util.function.Consumer<String> word) {
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean space = i == text.length() || Character.isWhitespace(text.charAt(i));
            if (space && start >= 0) {
                word.accept(text.substring(start, i));
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
    }
}
