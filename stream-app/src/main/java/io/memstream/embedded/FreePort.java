package io.memstream.embedded;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * A TCP port nothing listens on at the moment of asking, picked by the OS: for the embedded broker,
 * the demo's registry and the tests' servers. Another process may bind it before the caller does;
 * callers that cannot retry accept that small race.
 */
public final class FreePort {

    private FreePort() { }

    public static int pick() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
