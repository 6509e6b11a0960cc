package io.memstream.registry;

/** Subject names, by Confluent's default TopicNameStrategy. */
public final class Subjects {
    private Subjects() {
    }

    public static String topicName(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }
}
