#!/usr/bin/python3
"""Reads FrameDetections from the detections topic through the schema registry and prints one JSON line per record.

    /usr/bin/python3 examples/python/consume_detections.py --bootstrap localhost:9092 \
        --registry http://localhost:8081 [--topic detections] [--max-records N] [--idle-seconds 10]

Reads at isolation.level=read_committed: the detector writes exactly-once, so an aborted attempt is never seen.
Needs Debian's python3-confluent-kafka, python3-avro and python3-requests (examples/install-deps.sh).
"""
import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError

import mfs_framing


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--registry", required=True, help="schema.registry.url")
    ap.add_argument("--user-info", help="basic.auth.user.info, user:password (or set nothing)")
    ap.add_argument("--topic", default="detections")
    ap.add_argument("--group", default="detections-reader-" + uuid.uuid4().hex[:8])
    ap.add_argument("--max-records", type=int, default=0, help="stop after this many (0: run until idle)")
    ap.add_argument("--idle-seconds", type=float, default=10.0, help="stop after this long without a record")
    args = ap.parse_args()

    registry = mfs_framing.Registry(args.registry, args.user_info)
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    # the idle clock starts once partitions are assigned (joining a group can take seconds), at most after 60 s
    count, last = 0, [time.monotonic() + 60]

    def assigned(_consumer, _partitions):
        last[0] = min(last[0], time.monotonic())

    consumer.subscribe([args.topic], on_assign=assigned)
    try:
        while time.monotonic() - last[0] < args.idle_seconds and (args.max_records <= 0 or count < args.max_records):
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(msg.error())
            schema_id, d = mfs_framing.decode(msg.value(), registry)
            print(json.dumps({
                "camera": d["cameraId"], "segment": d["segmentSequence"], "frame": d["frameIndex"],
                "time": d["frameTimestamp"].isoformat(), "schema_id": schema_id, "engine": d["engine"],
                "model": d["model"]["name"], "offset": msg.offset(), "partition": msg.partition(),
                "detections": [{"label": x["label"], "score": round(x["score"], 3),
                                "box": [round(x[k], 1) for k in ("xMin", "yMin", "xMax", "yMax")]}
                               for x in d["detections"]]}), flush=True)
            count, last[0] = count + 1, time.monotonic()
    finally:
        consumer.close()
    print("read %d records from %s" % (count, args.topic), file=sys.stderr)


if __name__ == "__main__":
    main()
