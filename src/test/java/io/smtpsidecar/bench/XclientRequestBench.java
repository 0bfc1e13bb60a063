package io.smtpsidecar.bench;

import io.smtpsidecar.smtp.XclientRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The XCLIENT command(s) for one session, as the sidecar builds them per connection:
 * {@code new XclientRequest(addr, port, name, destAddr, destPort).commands(Set.of(ADDR, NAME, PORT, DESTADDR, DESTPORT))}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class XclientRequestBench {
    private static final Set<String> ADVERTISED = Set.of("ADDR", "NAME", "PORT", "DESTADDR", "DESTPORT");

    @Param({"ipv4", "ipv6"})
    public String family;

    private InetAddress client;
    private InetAddress destination;

    @Setup
    public void setup() throws UnknownHostException {
        boolean v6 = family.equals("ipv6");
        client = InetAddress.getByName(v6 ? "2001:db8::7" : "203.0.113.7");
        destination = InetAddress.getByName(v6 ? "2001:db8::25" : "192.0.2.25");
    }

    @Benchmark
    public List<String> commands() {
        return new XclientRequest(client, 40312, "client.example.test", destination, 25).commands(ADVERTISED);
    }
}
