package io.memstream.client;

/** A topic a command needs does not exist on the cluster (memstream never creates user topics). */
public class TopicNotFoundException extends RuntimeException {
    public TopicNotFoundException(String topic, String bootstrapServers) {
        super("topic '" + topic + "' does not exist on " + bootstrapServers
                + " (create it, or name another with input.topic / output.topic / dlq.topic)");
    }
}
