package io.smtpsidecar.bench;

import io.smtpsidecar.proxy.DecodeResult;
import io.smtpsidecar.proxy.ProxyHeaderDecoder;
import io.smtpsidecar.proxy.ProxyHeaderEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
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
 * One whole PROXY header per operation, as the sidecar decodes it per connection:
 * {@code new ProxyHeaderDecoder(4096).feed(bytes)}. Run with {@code bench/jmh.sh} (adds {@code -prof gc}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProxyHeaderDecoderBench {
    /** v1 TCP4, v1 TCP6, v2 TCP4 (what HAProxy send-proxy-v2 sends), v2 TCP6. */
    @Param({"v1-tcp4", "v1-tcp6", "v2-tcp4", "v2-tcp6"})
    public String header;

    private byte[] bytes;

    @Setup
    public void setup() throws UnknownHostException {
        boolean v6 = header.endsWith("tcp6");
        InetSocketAddress src = new InetSocketAddress(InetAddress.getByName(v6 ? "2001:db8::7" : "203.0.113.7"), 40312);
        InetSocketAddress dst = new InetSocketAddress(InetAddress.getByName(v6 ? "2001:db8::25" : "192.0.2.25"), 25);
        bytes = header.startsWith("v1") ? ProxyHeaderEncoder.v1(src, dst) : ProxyHeaderEncoder.v2(src, dst);
        if (!(new ProxyHeaderDecoder(4096).feed(bytes) instanceof DecodeResult.Decoded)) {
            throw new IllegalStateException("not decoded: " + new String(bytes, StandardCharsets.ISO_8859_1));
        }
    }

    @Benchmark
    public DecodeResult decode() {
        return new ProxyHeaderDecoder(4096).feed(bytes);
    }
}
