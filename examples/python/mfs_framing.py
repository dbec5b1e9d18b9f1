"""Avro framing for mobileformer-streams topics in plain Python: Debian's python3-avro, python3-requests, no fastavro.

Two framings, told apart by the first byte of a Kafka value:

* schema-registry wire format: ``00`` + 4-byte big-endian schema id + Avro binary. The writer schema comes from the
  registry's REST API (Confluent's, or Apicurio's under ``/apis/ccompat/v7``) by id; subject ``<topic>-value``.
* Avro single-object encoding: ``C3 01`` + 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema's
  Parsing Canonical Form + Avro binary.

Pitfall paid for here: python3-avro 1.11 keeps ``{"type": "long"}`` in ``Schema.canonical_form`` where a logical type
was (``timestamp-micros``), while the specification (and Java) reduce it to ``"long"``. Its fingerprint then differs
from Java's and every single-object record is refused as NOT_AVRO. ``canonical_form`` below fixes that up.
"""
import io
import json
import struct

import avro.io
import avro.schema
import requests

REGISTRY_MAGIC = 0
SINGLE_OBJECT_MAGIC = b"\xc3\x01"
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_EMPTY = 0xC15D213AA4D7A795  # CRC-64-AVRO seed, Avro specification "Schema Fingerprints"
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def canonical_form(schema):
    """The specification's Parsing Canonical Form (python3-avro 1.11's, with logical types reduced to their base)."""
    def strip(node):
        if isinstance(node, dict):
            if set(node) == {"type"} and node["type"] in _PRIMITIVES:
                return node["type"]
            return {k: strip(v) for k, v in node.items()}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return json.dumps(strip(json.loads(schema.canonical_form)), separators=(",", ":"))


def fingerprint(schema):
    """CRC-64-AVRO of the canonical form: what Java's SchemaNormalization.parsingFingerprint64 computes."""
    fp = _EMPTY
    for b in canonical_form(schema).encode("utf-8"):
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


def encode(schema, datum):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def single_object(schema, datum):
    return SINGLE_OBJECT_MAGIC + struct.pack("<Q", fingerprint(schema)) + encode(schema, datum)


def registry_framed(schema_id, schema, datum):
    return struct.pack(">bI", REGISTRY_MAGIC, schema_id) + encode(schema, datum)


class Registry:
    """The few REST calls a producer and a consumer need; schemas are cached by id (an id never changes)."""

    def __init__(self, url, user_info=None, verify=True):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
        if user_info:  # basic.auth.user.info, "user:password"
            self.session.auth = tuple(user_info.split(":", 1))
        self.session.verify = verify  # a CA bundle path for a private CA (schema.registry.ssl.truststore.*)
        self._by_id = {}

    def _call(self, method, path, body=None):
        r = self.session.request(method, self.url + path, data=None if body is None else json.dumps(body),
                                 timeout=10)
        if r.status_code >= 400:
            raise RuntimeError("registry refused %s %s: HTTP %d %s" % (method, path, r.status_code, r.text[:300]))
        return r.json()

    def register(self, subject, schema):
        return self._call("POST", "/subjects/%s/versions" % subject, {"schema": str(schema)})["id"]

    def set_compatibility(self, subject, level):
        self._call("PUT", "/config/%s" % subject, {"compatibility": level})

    def schema(self, schema_id):
        if schema_id not in self._by_id:
            text = self._call("GET", "/schemas/ids/%d" % schema_id)["schema"]
            self._by_id[schema_id] = avro.schema.parse(text)
        return self._by_id[schema_id]


def decode(value, registry=None, reader_schema=None, known=None):
    """(schema id or None, datum) of a Kafka value in either framing.

    known: {fingerprint: schema} for single-object records (the .avsc files you have).
    """
    if value[:2] == SINGLE_OBJECT_MAGIC:
        (fp,) = struct.unpack("<Q", value[2:10])
        if not known or fp not in known:
            raise ValueError("single-object record with unknown fingerprint %016x" % fp)
        writer, schema_id, body = known[fp], None, value[10:]
    elif value[:1] == b"\x00" and len(value) >= 5:
        if registry is None:
            raise ValueError("registry-framed record but no registry URL given")
        (schema_id,) = struct.unpack(">I", value[1:5])
        writer, body = registry.schema(schema_id), value[5:]
    else:
        raise ValueError("neither framing: starts with %r" % value[:4])
    datum = avro.io.DatumReader(writer, reader_schema or writer).read(avro.io.BinaryDecoder(io.BytesIO(body)))
    return schema_id, datum
