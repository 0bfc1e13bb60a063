package io.smtpsidecar.session;

import io.smtpsidecar.backend.BackendFailure;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.Outcome;
import io.smtpsidecar.proxy.DecodeResult;

/**
 * Why a session did not reach the relay: its outcome (the log line's and the metric's label), the reason on the
 * session line, and what the client is told. {@link Session#fail} puts it on the wire.
 */
sealed interface Failure {
    Outcome outcome();

    String reason();

    /** The sidecar's last reply before it closes; a header failure has none, it gets a refusal session (Exim). */
    byte[] reply(String hostname);

    /** The required proxy's header failed: refusal mode, or 421 while draining. */
    sealed interface Header extends Failure {
        DecodeResult.Invalid header();

        @Override
        default String reason() {
            return header().reason();
        }

        @Override
        default byte[] reply(String hostname) {
            return null;
        }
    }

    record HeaderInvalid(DecodeResult.Invalid header) implements Header {
        @Override
        public Outcome outcome() {
            return Outcome.REFUSED_MALFORMED;
        }
    }

    record HeaderTimeout(DecodeResult.Invalid header) implements Header {
        @Override
        public Outcome outcome() {
            return Outcome.REFUSED_TIMEOUT;
        }
    }

    /** A valid header whose source must not be used ({@code proxy.rejectSources}, the sidecar's own address). */
    record SourceRejected(DecodeResult.Invalid header) implements Header {
        @Override
        public Outcome outcome() {
            return Outcome.REFUSED_MALFORMED;
        }
    }

    /** {@code limits.*}: {@code limit} names the key and its value. */
    record Limited(String limit) implements Failure {
        static Limited of(ClientLimits.Decision decision, SidecarConfig.Limits l) {
            return new Limited(switch (decision) {
                case TOTAL -> "maxConnections " + l.maxConnections();
                case PER_CLIENT -> "maxConnectionsPerClient " + l.maxConnectionsPerClient();
                case RATE -> "connectionRatePerClient " + l.connectionRatePerClient() + "/min";
                case OK -> "none";
            });
        }

        @Override
        public Outcome outcome() {
            return Outcome.LIMITED;
        }

        @Override
        public String reason() {
            return "limit: " + limit;
        }

        @Override
        public byte[] reply(String hostname) {
            return Replies.tooManyConnections(hostname);
        }
    }

    /** Exim's rule: a client that talks before the greeting is dropped (protocol notes b2.6). */
    record EarlyTalker() implements Failure {
        @Override
        public Outcome outcome() {
            return Outcome.SYNC_ERROR;
        }

        @Override
        public String reason() {
            return "input sent without waiting for greeting";
        }

        @Override
        public byte[] reply(String hostname) {
            return Replies.syncError();
        }
    }

    record BackendUnavailable(BackendFailure cause) implements Failure {
        @Override
        public Outcome outcome() {
            return Outcome.BACKEND_UNAVAILABLE;
        }

        @Override
        public String reason() {
            return cause.describe();
        }

        @Override
        public byte[] reply(String hostname) {
            return Replies.serviceUnavailable(hostname);
        }
    }

    /** The process is draining: the load balancer retries elsewhere on 421. */
    record Shutdown(Outcome outcome, String reason, byte[] failedHeader) implements Failure {
        @Override
        public byte[] reply(String hostname) {
            return Replies.shuttingDown(hostname);
        }
    }
}
