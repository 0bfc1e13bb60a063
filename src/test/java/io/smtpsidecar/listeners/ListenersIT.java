package io.smtpsidecar.listeners;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.session.SessionRecord;
import io.smtpsidecar.support.FakeMta;
import io.smtpsidecar.support.ProxyHeaders;
import io.smtpsidecar.support.Scrape;
import io.smtpsidecar.support.SidecarHarness;
import io.smtpsidecar.support.SmtpClient;
import io.smtpsidecar.support.TestTls;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three listeners in one process (25, 587, 465 terminated), each with its settings, line and metric label. */
class ListenersIT {
    @TempDir
    Path dir;

    @Test
    void threePortsOneProcess() throws Exception {
        TestTls tls = TestTls.generate(dir, "mx.sidecar.test");
        tls.writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        JsonObject config = new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", "127.0.0.1"))
            .put("listeners", new JsonArray()
                .add(new JsonObject().put("name", "smtp").put("port", 0))
                .add(new JsonObject().put("name", "submission").put("port", 0)
                    .put("smtp", new JsonObject().put("hostname", "submission.sidecar.test"))
                    .put("limits", new JsonObject().put("maxConnectionsPerClient", 1)))
                .add(new JsonObject().put("name", "submissions").put("port", 0)
                    .put("tls", new JsonObject().put("mode", "terminate")
                        .put("certificate", dir.resolve("tls.crt").toString())
                        .put("key", dir.resolve("tls.key").toString()))));
        try (SidecarHarness h = new SidecarHarness(config)) {
            Map<String, String> clientOf = Map.of("smtp", "192.0.2.25", "submission", "192.0.2.87",
                "submissions", "192.0.2.65");
            Map<String, SessionRecord> records = new HashMap<>();
            for (String name : new String[] {"smtp", "submission", "submissions"}) {
                try (SmtpClient c = new SmtpClient("127.0.0.1", h.port(name))) {
                    c.send(ProxyHeaders.v2(clientOf.get(name), 40000, "198.51.100.1", 25));
                    if (name.equals("submissions")) {
                        c.startTls(tls.clientContext(), "mx.sidecar.test");
                    }
                    assertThat(c.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                    assertThat(c.command("QUIT")).startsWith("221");
                }
                FakeMta.Transcript t = h.nextBackendSession();
                assertThat(t.xclient()).containsEntry("ADDR", clientOf.get(name));
                SessionRecord r = h.nextSession();
                assertThat(r.outcome()).isEqualTo(Outcome.FORWARDED);
                records.put(r.listener(), r);
            }
            assertThat(records).containsOnlyKeys("smtp", "submission", "submissions");
            for (String name : records.keySet()) {
                assertThat(records.get(name).format()).contains("I=[127.0.0.1]:" + h.port(name) + " ");
            }
            assertThat(records.get("submissions").tls()).startsWith("TLSv1.3:");
            assertThat(records.get("smtp").tls()).isNull();
            String metrics = h.get("/metrics").body();
            for (String name : records.keySet()) {
                assertThat(Scrape.value(metrics, "smtp_sidecar_connections_total{listener=\"" + name
                    + "\",outcome=\"forwarded\"}")).as(name).isEqualTo(1.0);
            }
            // the TLS series only exist where TLS is terminated
            assertThat(metrics).contains("smtp_sidecar_tls_handshake_failures_total{listener=\"submissions\"")
                .doesNotContain("smtp_sidecar_tls_handshake_failures_total{listener=\"smtp\"");

            // submission's own limit (one per client) applies to it alone; its refusal uses its own host name
            try (SmtpClient held = new SmtpClient("127.0.0.1", h.port("submission"));
                 SmtpClient over = new SmtpClient("127.0.0.1", h.port("submission"));
                 SmtpClient other = new SmtpClient("127.0.0.1", h.port("smtp"))) {
                held.send(ProxyHeaders.v2("192.0.2.99", 40001, "198.51.100.1", 587));
                assertThat(held.reply()).startsWith("220 ");
                over.send(ProxyHeaders.v2("192.0.2.99", 40002, "198.51.100.1", 587));
                assertThat(over.reply()).startsWith("421 4.7.0 submission.sidecar.test ");
                other.send(ProxyHeaders.v2("192.0.2.99", 40003, "198.51.100.1", 25));
                assertThat(other.reply()).startsWith("220 " + FakeMta.HOSTNAME);
                assertThat(held.command("QUIT")).startsWith("221");
                assertThat(other.command("QUIT")).startsWith("221");
            }
        }
    }
}
