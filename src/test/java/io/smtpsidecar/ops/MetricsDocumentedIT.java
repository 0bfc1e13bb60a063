package io.smtpsidecar.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every {@code smtp_sidecar_*} series a scrape shows, after sessions that end in several ways, is in the README's
 * metric table with each of its label values: an operator writing alerts reads that table, not the code.
 */
class MetricsDocumentedIT {
    private static final Pattern SERIES = Pattern.compile("^(smtp_sidecar_[a-z_]+)\\{([^}]*)}", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");
    private static final Pattern ROW = Pattern.compile("^\\| `(smtp_sidecar_[a-z_]+)` \\|.*$", Pattern.MULTILINE);

    @Test
    void everyScrapedSeriesAndLabelValueIsInTheReadme() throws Exception {
        JsonObject cfg = new JsonObject().put("proxy", new JsonObject()
            .put("requiredHosts", new JsonArray().add("127.0.0.1")).put("headerTimeout", "1s"));
        try (SidecarHarness h = new SidecarHarness(cfg)) {
            try (SmtpClient unlisted = new SmtpClient("127.0.0.2", h.port())) {
                unlisted.reply();
                unlisted.command("QUIT");
            }
            refused(h, "PROXY TCP4 127.0.0.9 198.51.100.7 50000 25\r\n"); // rejected: claims loopback
            refused(h, "PROXY TCP4 nonsense\r\n"); // malformed
            refused(h, ""); // timeout
            try (SmtpClient local = new SmtpClient("127.0.0.1", h.port())) {
                local.send("PROXY UNKNOWN\r\n");
                local.reply();
                local.command("QUIT");
            }
            for (int i = 0; i < 5; i++) {
                h.nextSession();
            }
            String scrape = h.get("/metrics").body();
            List<String> table = rows(Files.readString(Path.of(System.getProperty("basedir", "."), "README.md")));
            Matcher series = SERIES.matcher(scrape);
            java.util.Set<String> missing = new java.util.TreeSet<>();
            int checked = 0;
            while (series.find()) {
                String name = series.group(1);
                String row = table.stream().filter(r -> name.equals(metric(r)) || name.startsWith(metric(r) + "_"))
                    .findFirst().orElse(null);
                if (row == null) {
                    missing.add(name + " (no row)");
                    continue;
                }
                Matcher label = LABEL.matcher(series.group(2));
                while (label.find()) {
                    checked++;
                    if (!label.group(1).equals("le")
                        && !Pattern.compile("\\b" + Pattern.quote(label.group(2)) + "\\b").matcher(row).find()) {
                        missing.add(name + " " + label.group(1) + "=" + label.group(2));
                    }
                }
            }
            assertThat(checked).as("labelled series scraped").isGreaterThan(10);
            assertThat(missing).as("series or label values missing from the README's metric table").isEmpty();
        }
    }

    /** A required peer's session that ends in refusal mode, after the given header bytes. */
    private static void refused(SidecarHarness h, String header) throws Exception {
        try (SmtpClient c = new SmtpClient("127.0.0.1", h.port())) {
            c.send(header);
            assertThat(c.reply()).startsWith("220 ");
            assertThat(c.command("QUIT")).startsWith("221");
        }
    }

    private static List<String> rows(String readme) {
        List<String> rows = new ArrayList<>();
        Matcher m = ROW.matcher(readme);
        while (m.find()) {
            rows.add(m.group());
        }
        return rows;
    }

    private static String metric(String row) {
        Matcher m = ROW.matcher(row);
        return m.matches() ? m.group(1) : "";
    }
}
