package io.smtpsidecar.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The project's SMTP load tool (used by {@code bench/run.sh}).
 *
 * <pre>
 * run        one load run, JSON on stdout:
 *            --port P [--host 127.0.0.1] [--concurrency 20] [--sessions 2000] [--size 1024] [--proxy none|v1|v2]
 *            [--sources 127.0.0.2-127.0.0.41] [--timeout-ms 30000] [--max-seconds 120]
 *            [--tls CERT.pem]   implicit TLS 1.3 after the PROXY header, accepting only the certificate CERT.pem
 * bench      the interleaved load workloads of a spec file (paths, processes, sizes); appends JSON lines:
 *            --spec FILE --workloads small,bulk,sweep,tls --out RAW.jsonl
 *            (per path: path.N.port, .name, .procs, and .proxy=none|v1|v2, .tls=CERT.pem for a TLS path)
 * idle       holds N sessions after EHLO on one path, measures RSS (and heap for JVMs) of the named processes;
 *            appends one JSON line: --port P --count N --path ID --round R --proc name=pid[:jvm] ... --out RAW.jsonl
 * summarize  medians, ratios, targets: --raw RAW.jsonl --json latest.json --md latest.md
 * </pre>
 */
public final class LoadTool {
    private LoadTool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: LoadTool run|bench|idle|summarize [options] (see the class comment)");
            System.exit(2);
        }
        Map<String, List<String>> opts = options(args);
        switch (args[0]) {
            case "run" -> run(opts);
            case "bench" -> bench(opts);
            case "idle" -> idle(opts);
            case "summarize" -> Summary.write(Path.of(one(opts, "raw", null)), Path.of(one(opts, "json", null)),
                Path.of(one(opts, "md", null)));
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static Vertx vertx() {
        // two event loops: the load tool shares the two cores with the servers under test
        return Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setBlockedThreadCheckInterval(60_000));
    }

    private static void run(Map<String, List<String>> o) {
        Vertx vertx = vertx();
        SmtpLoad.Options options = new SmtpLoad.Options(one(o, "host", "127.0.0.1"), Integer.parseInt(one(o, "port", null)),
            Integer.parseInt(one(o, "concurrency", "20")), Integer.parseInt(one(o, "sessions", "2000")),
            Long.parseLong(one(o, "max-seconds", "120")) * 1000, Integer.parseInt(one(o, "size", "1024")),
            SmtpLoad.ProxyMode.valueOf(one(o, "proxy", "none").toUpperCase()),
            SmtpLoad.sources(one(o, "sources", "127.0.0.2-127.0.0.41")), Integer.parseInt(one(o, "timeout-ms", "30000")),
            tls(one(o, "tls", ""), Integer.parseInt(one(o, "timeout-ms", "30000"))));
        SmtpLoad load = new SmtpLoad(vertx, options.sources(), options.timeoutMillis());
        SmtpLoad.Result r = load.run(options).await();
        System.out.println(resultJson(r, options).encode());
        vertx.close().await();
    }

    private static TlsClient tls(String trusted, int timeoutMillis) {
        return trusted.isBlank() ? null : TlsClient.pinning(Path.of(trusted), timeoutMillis);
    }

    static JsonObject resultJson(SmtpLoad.Result r, SmtpLoad.Options o) {
        JsonObject json = new JsonObject()
            .put("concurrency", o.concurrency())
            .put("message_bytes", o.messageSize())
            .put("sessions_ok", r.ok())
            .put("errors", r.errors())
            .put("elapsed_s", round(r.elapsedSeconds(), 4))
            .put("sessions_per_s", round(r.sessionsPerSecond(), 1))
            .put("mb_per_s", round(r.megabytesPerSecond(), 2))
            .put("banner_p50_ms", round(r.bannerMillis(50), 3))
            .put("banner_p99_ms", round(r.bannerMillis(99), 3))
            .put("banner_p999_ms", round(r.bannerMillis(99.9), 3))
            .put("error_samples", new JsonArray(new ArrayList<>(r.errorSamples())));
        if (o.tls() != null) {
            json.put("tls", new JsonArray(new ArrayList<>(r.tls())));
        }
        return json;
    }

    /** The interleaved runs: for each workload, rounds of A B C D E (one run per path), CPU per process per run. */
    private static void bench(Map<String, List<String>> o) throws IOException {
        Properties spec = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(one(o, "spec", null)))) {
            spec.load(in);
        }
        Path out = Path.of(one(o, "out", null));
        List<String> workloads = List.of(one(o, "workloads", "small,bulk,sweep").split(","));
        int rounds = Integer.parseInt(spec.getProperty("rounds", "3"));
        List<String> sources = SmtpLoad.sources(spec.getProperty("sources", "127.0.0.2-127.0.0.41"));
        int timeout = Integer.parseInt(spec.getProperty("timeoutMs", "30000"));
        long maxMillis = Long.parseLong(spec.getProperty("maxSeconds", "60")) * 1000;
        Map<String, Long> procs = new LinkedHashMap<>();
        for (String name : spec.stringPropertyNames()) {
            if (name.startsWith("proc.")) {
                procs.put(name.substring(5), Long.parseLong(spec.getProperty(name).trim()));
            }
        }
        procs.put("loadtool", ProcessHandle.current().pid());
        List<String> paths = List.of(spec.getProperty("paths").split(","));
        Map<String, TlsClient> tls = new HashMap<>();
        for (String p : paths) {
            tls.put(p, tls(spec.getProperty("path." + p + ".tls", ""), timeout));
        }

        Vertx vertx = vertx();
        SmtpLoad load = new SmtpLoad(vertx, sources, timeout);
        // warm-up (not recorded): JIT of the load tool and of the sidecar, pools of every server
        int warm = Integer.parseInt(spec.getProperty("warmup.sessions", "1000"));
        for (String p : paths) {
            SmtpLoad.Options w = new SmtpLoad.Options("127.0.0.1", port(spec, p), 20, warm, maxMillis, 1024,
                proxy(spec, p), sources, timeout, tls.get(p));
            SmtpLoad.Result r = load.run(w).await();
            System.err.printf("warm-up path %s: %d ok, %d errors %s%s%n", p, r.ok(), r.errors(), r.errorSamples(),
                r.tls().isEmpty() ? "" : " " + r.tls());
        }
        for (String workload : workloads) {
            List<String[]> variants = new ArrayList<>();   // {label, concurrency, sessions, size}
            if (workload.equals("sweep")) {
                String[] levels = spec.getProperty("sweep.levels").split(",");
                String[] counts = spec.getProperty("sweep.sessions").split(",");
                for (int i = 0; i < levels.length; i++) {
                    variants.add(new String[] {"c" + levels[i], levels[i], counts[i], spec.getProperty("sweep.size")});
                }
            } else {
                variants.add(new String[] {workload, spec.getProperty(workload + ".concurrency"),
                    spec.getProperty(workload + ".sessions"), spec.getProperty(workload + ".size")});
            }
            int workloadRounds = Integer.parseInt(spec.getProperty(workload + ".rounds", Integer.toString(rounds)));
            for (String[] v : variants) {
                for (int round = 1; round <= workloadRounds; round++) {
                    for (String p : paths) {
                        SmtpLoad.Options options = new SmtpLoad.Options("127.0.0.1", port(spec, p),
                            Integer.parseInt(v[1]), Integer.parseInt(v[2]), maxMillis, Integer.parseInt(v[3]),
                            proxy(spec, p), sources, timeout, tls.get(p));
                        Map<String, Long> before = cpu(procs);
                        SmtpLoad.Result r = load.run(options).await();
                        Map<String, Long> after = cpu(procs);
                        JsonObject cpu = new JsonObject();
                        for (String name : procs.keySet()) {
                            cpu.put(name, after.get(name) - before.get(name));
                        }
                        JsonObject line = resultJson(r, options)
                            .put("phase", "load")
                            .put("path", p)
                            .put("path_name", spec.getProperty("path." + p + ".name"))
                            .put("proxy_procs", spec.getProperty("path." + p + ".procs", ""))
                            .put("workload", v[0])
                            .put("round", round)
                            .put("cpu_ms", cpu);
                        append(out, line);
                        System.err.printf("%-6s round %d path %s %-18s %8.1f sess/s %7.1f MB/s p99 %7.2f ms err %d cpu %s%n",
                            v[0], round, p, spec.getProperty("path." + p + ".name"), r.sessionsPerSecond(),
                            r.megabytesPerSecond(), r.bannerMillis(99), r.errors(), cpu.encode());
                    }
                }
            }
        }
        vertx.close().await();
    }

    private static int port(Properties spec, String path) {
        return Integer.parseInt(spec.getProperty("path." + path + ".port").trim());
    }

    private static SmtpLoad.ProxyMode proxy(Properties spec, String path) {
        return SmtpLoad.ProxyMode.valueOf(spec.getProperty("path." + path + ".proxy", "none").trim().toUpperCase());
    }

    private static Map<String, Long> cpu(Map<String, Long> procs) {
        Map<String, Long> m = new HashMap<>();
        procs.forEach((name, pid) -> m.put(name, Procs.treeCpuMillis(pid)));
        return m;
    }

    /** Holds sessions after EHLO and measures memory growth of the named processes. */
    private static void idle(Map<String, List<String>> o) throws IOException, InterruptedException {
        int count = Integer.parseInt(one(o, "count", "2000"));
        int port = Integer.parseInt(one(o, "port", null));
        long settle = Long.parseLong(one(o, "settle-ms", "3000"));
        Map<String, Long> procs = new LinkedHashMap<>();
        Map<String, Boolean> jvm = new HashMap<>();
        for (String p : o.getOrDefault("proc", List.of())) {
            String[] kv = p.split("=");
            String[] pidFlags = kv[1].split(":");
            procs.put(kv[0], Long.parseLong(pidFlags[0]));
            jvm.put(kv[0], pidFlags.length > 1 && pidFlags[1].equals("jvm"));
        }
        JsonObject heapBefore = new JsonObject();
        JsonObject heapAfter = new JsonObject();
        procs.forEach((name, pid) -> {
            if (jvm.get(name)) {
                heapBefore.put(name, Procs.heapUsedAfterGcKb(pid));
            }
        });
        Thread.sleep(500);
        JsonObject rssBefore = new JsonObject();
        procs.forEach((name, pid) -> rssBefore.put(name, Procs.treeRssKb(pid)));

        Vertx vertx = vertx();
        List<String> sources = SmtpLoad.sources(one(o, "sources", "127.0.0.2-127.0.0.41"));
        SmtpLoad load = new SmtpLoad(vertx, sources, 30_000);
        SmtpLoad.Held held = load.hold("127.0.0.1", port, count, Integer.parseInt(one(o, "parallel", "200")), 30_000).await();
        Thread.sleep(settle);
        JsonObject rssAfter = new JsonObject();
        procs.forEach((name, pid) -> rssAfter.put(name, Procs.treeRssKb(pid)));
        procs.forEach((name, pid) -> {
            if (jvm.get(name)) {
                heapAfter.put(name, Procs.heapUsedAfterGcKb(pid));
            }
        });
        Thread.sleep(500);
        int lost = held.lost.get();
        int open = held.open.get();
        held.close().await();
        vertx.close().await();
        JsonObject line = new JsonObject()
            .put("phase", "idle")
            .put("workload", "idle")
            .put("path", one(o, "path", "?"))
            .put("path_name", one(o, "path-name", ""))
            .put("proxy_procs", one(o, "proxy-procs", ""))
            .put("round", Integer.parseInt(one(o, "round", "1")))
            .put("requested", count)
            .put("open", open)
            .put("errors", held.errors.get() + lost)
            .put("lost_while_held", lost)
            .put("open_s", round(held.openNanos / 1e9, 3))
            .put("rss_kb_before", rssBefore)
            .put("rss_kb_after", rssAfter)
            .put("heap_kb_before", heapBefore)
            .put("heap_kb_after", heapAfter)
            .put("error_samples", new JsonArray(new ArrayList<>(held.samples)));
        append(Path.of(one(o, "out", null)), line);
        System.err.println("idle " + line.encode());
    }

    static void append(Path out, JsonObject line) throws IOException {
        Files.writeString(out, line.encode() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
    }

    static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return -1;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static Map<String, List<String>> options(String[] args) {
        Map<String, List<String>> m = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            m.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
        return m;
    }

    private static String one(Map<String, List<String>> m, String name, String dflt) {
        List<String> v = m.get(name);
        if (v == null || v.isEmpty()) {
            if (dflt == null) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
            return dflt;
        }
        return v.get(v.size() - 1);
    }
}
