package io.memstream.registry;

import java.util.regex.Pattern;

/** Makes registry URLs safe to print: credentials in {@code http://user:pass@host} become {@code ***}. */
public final class RegistryUrls {
    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@]+@");

    private RegistryUrls() {
    }

    public static String redact(String urls) {
        return urls == null ? null : USER_INFO.matcher(urls).replaceAll("***@");
    }
}
