"""Encodes and decodes Confluent wire format records with Confluent's own Python client
(confluent-kafka's MessageSerializer and CachedSchemaRegistryClient), as an independent check of
memstream's Java serde against a real registry.

  decode <registry-url>                         hex records on stdin -> one JSON object per line
  encode <registry-url> <topic> <schema-file>   JSON records on stdin -> hex records, one per line
"""
import datetime
import json
import sys

from confluent_kafka.avro import CachedSchemaRegistryClient, loads
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def plain(value):
    """Makes decoded Avro values JSON-friendly (timestamps as epoch milliseconds)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


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
                record = json.loads(line)
                record["producedAt"] = datetime.datetime.fromtimestamp(record["producedAt"] / 1000,
                                                                       tz=datetime.timezone.utc)
                print(serializer.encode_record_with_schema(topic, schema, record).hex(), flush=True)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
