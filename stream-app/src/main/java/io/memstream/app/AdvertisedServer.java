package io.memstream.app;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

/**
 * This instance's {@code application.server}: the {@code host:port} that other instances of the app
 * use to reach its HTTP server when a stream they are asked about lives here. Streams shares it with
 * the group, so key metadata can name a stream's owner.
 */
final class AdvertisedServer {
    private AdvertisedServer() {
    }

    /**
     * The user's {@code application.server} when set; else the HTTP server's own address, with the
     * machine's host name in place of a wildcard bind address (0.0.0.0 is no address to call).
     */
    static HostInfo choose(Properties streamsProperties, String httpHost, int httpPort) {
        String configured = streamsProperties.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, "").trim();
        if (!configured.isEmpty()) {
            return HostInfo.buildFromEndpoint(configured);
        }
        String host = httpHost;
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        return new HostInfo(host, httpPort);
    }
}
