package io.smtpsidecar.proxy;

/** The verdict of a version parser on the first {@code n} buffered bytes. */
sealed interface Step permits Step.Wait, Step.Done, Step.Fail {

    /** Still a valid beginning; nothing can be decided before {@code next} bytes are buffered. */
    record Wait(int next) implements Step {
    }

    /** A complete, valid header of {@code header.length()} bytes. */
    record Done(ProxyHeader header) implements Step {
    }

    /** No continuation can make this a valid header. */
    record Fail(String reason) implements Step {
    }
}
