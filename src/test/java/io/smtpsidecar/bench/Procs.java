package io.smtpsidecar.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** CPU time and resident memory of process trees, from /proc (Linux only). */
final class Procs {
    /** USER_HZ: /proc/PID/stat counts CPU time in these ticks. */
    static final long TICKS_PER_SECOND = ticks();

    private Procs() {
    }

    /** utime + stime of {@code pid} and all its living descendants, in ms. */
    static long treeCpuMillis(long pid) {
        long ticks = 0;
        for (long p : tree(pid)) {
            ticks += cpuTicks(p);
        }
        return ticks * 1000 / TICKS_PER_SECOND;
    }

    /** VmRSS of {@code pid} and all its living descendants, in kB (shared pages count once per process). */
    static long treeRssKb(long pid) {
        long kb = 0;
        for (long p : tree(pid)) {
            kb += rssKb(p);
        }
        return kb;
    }

    /** {@code pid} and its descendants. */
    static List<Long> tree(long pid) {
        Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : dir) {
                long[] stat = stat(Long.parseLong(d.getFileName().toString()));
                if (stat != null) {
                    children.computeIfAbsent(stat[0], k -> new ArrayList<>()).add(Long.parseLong(d.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<Long> out = new ArrayList<>();
        List<Long> todo = new ArrayList<>(List.of(pid));
        while (!todo.isEmpty()) {
            long p = todo.remove(todo.size() - 1);
            out.add(p);
            todo.addAll(children.getOrDefault(p, List.of()));
        }
        return out;
    }

    /** {ppid, utime + stime} or null when the process is gone. */
    private static long[] stat(long pid) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return null;
        }
        // the command name may contain spaces: fields start after the last ')'
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // f[0] = state (field 3), so field n is f[n - 3]
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12])};
    }

    private static long cpuTicks(long pid) {
        long[] s = stat(pid);
        return s == null ? 0 : s[1];
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** Used heap in kB after a full GC of a HotSpot JVM ({@code jcmd PID GC.run}, then {@code GC.heap_info}). */
    static long heapUsedAfterGcKb(long pid) {
        run("jcmd", Long.toString(pid), "GC.run");
        String info = run("jcmd", Long.toString(pid), "GC.heap_info");
        // G1: " garbage-first heap   total 262144K, used 12345K [..."; Serial/Parallel: one line per generation
        long sum = -1;
        for (String line : info.split("\n")) {
            String t = line.trim();
            int used = t.indexOf("used ");
            if (used < 0 || !t.contains("total")) {
                continue;
            }
            String rest = t.substring(used + 5);
            long kb = parseKb(rest.substring(0, rest.indexOf('K') + 1));
            if (t.startsWith("garbage-first heap") || t.startsWith("ZHeap") || t.startsWith("Shenandoah")) {
                return kb;
            }
            // JDK 17 names the serial generations "def new generation" and "tenured generation", JDK 25 "DefNew", "Tenured"
            if (t.matches("^(def new generation|tenured generation|DefNew|Tenured|PSYoungGen|ParOldGen)\\b.*")) {
                sum = Math.max(0, sum) + kb;
            }
        }
        return sum;
    }

    private static long parseKb(String s) {
        return Long.parseLong(s.replaceAll("[^0-9]", ""));
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static long ticks() {
        try {
            String out = run("getconf", "CLK_TCK").trim();
            return out.isEmpty() ? 100 : Long.parseLong(out);
        } catch (NumberFormatException e) {
            return 100;
        }
    }
}
