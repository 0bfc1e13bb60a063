package io.smtpsidecar.dns;

/**
 * Host-name hygiene for anything that reaches the backend or the log: letters, digits, '-' and '.', labels of 1..63
 * characters, at most 255 in all. A PTR record is attacker-controlled data (nginx CVE-2026-28753), so nothing else
 * passes.
 */
public final class HostNames {
    public static final int MAX_LENGTH = 255;

    private HostNames() {
    }

    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        int label = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    return false;
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
                if (++label > 63) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return label > 0;
    }
}
