#!/usr/bin/env bash
# Installs what the consumer and producer examples in examples/ need, from Debian packages only (no PyPI): the Kafka
# client (python3-confluent-kafka), Avro (python3-avro: Debian has no fastavro), requests for the registry's REST API,
# and kcat. A few MB; returns at once when they are there. Use Debian's interpreter, /usr/bin/python3.
set -euo pipefail
PKGS=(python3-confluent-kafka python3-avro python3-requests kcat)
if /usr/bin/python3 -c 'import confluent_kafka, avro, requests' 2>/dev/null && command -v kcat >/dev/null; then
  exit 0
fi
. "$(dirname "$0")/../scripts/apt-ensure.sh"
apt_ensure "${PKGS[@]}"
/usr/bin/python3 -c 'import confluent_kafka, avro; print("example deps: confluent-kafka", confluent_kafka.version()[0])'
