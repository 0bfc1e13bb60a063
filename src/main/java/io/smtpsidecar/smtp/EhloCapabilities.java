package io.smtpsidecar.smtp;

import java.util.Arrays;
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
            String[] words = line.strip().split("\\s+");
            if (words[0].equalsIgnoreCase(XCLIENT)) {
                Set<String> attributes = new LinkedHashSet<>();
                Arrays.stream(words, 1, words.length).forEach(w -> attributes.add(w.toUpperCase(Locale.ROOT)));
                return Optional.of(Collections.unmodifiableSet(attributes));
            }
        }
        return Optional.empty();
    }
}
