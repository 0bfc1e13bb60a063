package io.smtpsidecar.support;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads one sample out of a Prometheus text exposition. */
public final class Scrape {
    private Scrape() {
    }

    /** The value of the sample whose name and labels are exactly {@code series}; fails if it is missing. */
    public static double value(String exposition, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
        if (!m.find()) {
            throw new AssertionError("no sample " + series + " in the scrape");
        }
        return Double.parseDouble(m.group(1));
    }
}
