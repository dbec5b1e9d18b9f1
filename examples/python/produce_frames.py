#!/usr/bin/python3
"""A camera producer: sends image or video-segment files to the frames topic as FrameEnvelope records.

    /usr/bin/python3 examples/python/produce_frames.py --bootstrap localhost:9092 --camera cam-7 \
        --framing registry --registry http://localhost:8081 [--topic frames] [--schema schemas/FrameEnvelope.avsc] \
        [--compatibility FULL] [--set field=value ...] frame1.jpg segment2.ts ...

--framing registry registers --schema under <topic>-value and writes 00 + schema id + Avro binary (what the detector
reads when schema.registry.url is set; it also reads single-object records). --framing single-object writes
C3 01 + fingerprint + Avro binary, no registry needed; the fingerprint must be that of the specification's canonical
form, which python3-avro 1.11 gets wrong for logical types (see mfs_framing.canonical_form).
--schema may be a newer compatible FrameEnvelope (a new optional field): --set fills its fields.
"""
import argparse
import datetime
import os
import sys

from confluent_kafka import Producer

import avro.schema
import mfs_framing

TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".ts": "video/mp2t",
         ".mp4": "video/mp4", ".mkv": "video/x-matroska"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--camera", required=True)
    ap.add_argument("--topic", default="frames")
    ap.add_argument("--framing", choices=["registry", "single-object"], default="registry")
    ap.add_argument("--registry", help="schema.registry.url (registry framing)")
    ap.add_argument("--user-info", help="basic.auth.user.info, user:password")
    ap.add_argument("--schema", default="schemas/FrameEnvelope.avsc")
    ap.add_argument("--compatibility", help="set this rule on <topic>-value first (FULL lets the detector read "
                                            "producers one version ahead and behind)")
    ap.add_argument("--first-sequence", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="value of an extra string field of a newer schema")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    with open(args.schema) as f:
        schema = avro.schema.parse(f.read())
    if args.framing == "registry":
        if not args.registry:
            ap.error("--framing registry needs --registry")
        registry = mfs_framing.Registry(args.registry, args.user_info)
        subject = args.topic + "-value"
        if args.compatibility:
            registry.set_compatibility(subject, args.compatibility)
        schema_id = registry.register(subject, schema)
        frame = lambda datum: mfs_framing.registry_framed(schema_id, schema, datum)
        print("schema id %d under %s" % (schema_id, subject), file=sys.stderr)
    else:
        frame = lambda datum: mfs_framing.single_object(schema, datum)
        print("fingerprint %016x" % mfs_framing.fingerprint(schema), file=sys.stderr)

    extra = dict(kv.split("=", 1) for kv in args.set)
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True,
                         "message.max.bytes": 32 << 20})
    failures = []
    for i, path in enumerate(args.files):
        with open(path, "rb") as f:
            payload = f.read()
        datum = {"cameraId": args.camera, "sequence": args.first_sequence + i,
                 "captureTime": datetime.datetime.now(datetime.timezone.utc),
                 "contentType": TYPES[os.path.splitext(path)[1].lower()], "payload": payload,
                 "width": None, "height": None, "fps": None}
        datum.update(extra)
        producer.produce(args.topic, key=args.camera.encode(), value=frame(datum),
                         on_delivery=lambda err, msg: err and failures.append(err))
        producer.poll(0)
    producer.flush(30)
    if failures:
        sys.exit("not delivered: %s" % failures[:3])
    print("produced %d records to %s" % (len(args.files), args.topic), file=sys.stderr)


if __name__ == "__main__":
    main()
