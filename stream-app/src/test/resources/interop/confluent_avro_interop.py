"""Encodes and decodes Confluent wire format records with Confluent's own Python client
(confluent-kafka's MessageSerializer and CachedSchemaRegistryClient), as an independent check of
memstream's Java serde against a real registry.

  decode <registry-url>                         hex records on stdin -> one JSON object per line
  encode <registry-url> <topic> <schema-file>   JSON records on stdin -> hex records, one per line
  produce <registry-url> <bootstrap> <topic> <schema-file>
                                                {"key": k, "value": {...}} lines on stdin -> Kafka
                                                (key: plain UTF-8 string; value: Avro in the wire format)
  consume <registry-url> <bootstrap> <topic> <count> <timeout-s>
                                                <count> records read_committed -> {"key", "value"} lines
"""
import datetime
import json
import sys
import time
import uuid

from confluent_kafka.avro import CachedSchemaRegistryClient, loads
from confluent_kafka.avro.error import ClientError
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
from confluent_kafka import Consumer, Producer


def plain(value):
    """Makes decoded Avro values JSON-friendly (timestamps as epoch milliseconds)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def with_timestamp(record):
    """python-avro wants a datetime for timestamp-millis; the JSON lines carry epoch milliseconds."""
    record["producedAt"] = datetime.datetime.fromtimestamp(record["producedAt"] / 1000, tz=datetime.timezone.utc)
    return record


def encode(serializer, topic, schema, record, attempts=5):
    """Confluent's serializer, registering the schema on first use. The test registry (Apicurio on
    H2) answers a registration that races another one with HTTP 500 now and then (a duplicate key in
    its content table, a lock timeout); Confluent's Python client does not retry server errors, so
    this does, as memstream's own client does."""
    for attempt in range(attempts):
        try:
            return serializer.encode_record_with_schema(topic, schema, record)
        except ClientError as e:
            if attempt == attempts - 1 or "Error code:5" not in str(e):
                raise
            print("registry server error, retrying: %s" % str(e)[:200], file=sys.stderr, flush=True)
            time.sleep(0.5 * (attempt + 1))


def produce(serializer, bootstrap, topic, schema_file):
    with open(schema_file, encoding="utf-8") as f:
        schema = loads(f.read())
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    failures = []

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))

    count = 0
    for line in sys.stdin:
        if line.strip():
            entry = json.loads(line)
            value = encode(serializer, topic, schema, with_timestamp(entry["value"]))
            producer.produce(topic, key=entry["key"].encode("utf-8"), value=value, on_delivery=delivered)
            count += 1
    if producer.flush(30) != 0 or failures:
        sys.exit("not delivered: %s" % failures)
    print(json.dumps({"produced": count}), flush=True)


def consume(serializer, bootstrap, topic, count, timeout_s):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-" + str(uuid.uuid4()),
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    deadline = time.monotonic() + timeout_s
    seen = 0
    try:
        while seen < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                sys.exit("consume error: %s" % msg.error())
            value = plain(serializer.decode_message(msg.value()))
            print(json.dumps({"key": msg.key().decode("utf-8"), "value": value}), flush=True)
            seen += 1
    finally:
        consumer.close()


def main():
    mode, url = sys.argv[1], sys.argv[2]
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": url}))
    if mode == "decode":
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(plain(serializer.decode_message(bytes.fromhex(line.strip())))), flush=True)
    elif mode == "encode":
        topic, schema_file = sys.argv[3], sys.argv[4]
        with open(schema_file, encoding="utf-8") as f:
            schema = loads(f.read())
        for line in sys.stdin:
            if line.strip():
                record = with_timestamp(json.loads(line))
                print(encode(serializer, topic, schema, record).hex(), flush=True)
    elif mode == "produce":
        produce(serializer, sys.argv[3], sys.argv[4], sys.argv[5])
    elif mode == "consume":
        consume(serializer, sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
