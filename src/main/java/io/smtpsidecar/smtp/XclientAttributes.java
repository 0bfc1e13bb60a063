package io.smtpsidecar.smtp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of XCLIENT, for the demo backend and the tests' fake MTA: the {@code name=value} pairs of one
 * command, values xtext-decoded (Postfix XCLIENT_README). Pure.
 */
public final class XclientAttributes {
    private XclientAttributes() {
    }

    /**
     * @param args what follows {@code XCLIENT }
     * @return attribute names upper-cased, in command order
     * @throws SmtpProtocolException whose message is Postfix's 501 reply for the first bad pair
     */
    public static Map<String, String> parse(String args) throws SmtpProtocolException {
        Map<String, String> attrs = new LinkedHashMap<>();
        for (String pair : args.trim().split(" +")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new SmtpProtocolException("501 5.5.4 Error: attribute=value expected");
            }
            try {
                attrs.put(pair.substring(0, eq).toUpperCase(Locale.ROOT), Xtext.decode(pair.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new SmtpProtocolException("501 5.5.4 Bad " + pair.substring(0, eq) + " syntax");
            }
        }
        return attrs;
    }
}
