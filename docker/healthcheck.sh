#!/bin/bash
# The images' HEALTHCHECK: GET /health/ready on the metrics port (MFS_METRICS_PORT), 200 = healthy. No curl in the
# image: bash's /dev/tcp speaks the one request. With the endpoint off (port 0) the process being alive is all
# there is to check.
PORT=${MFS_METRICS_PORT:-0}
PATH_=${1:-/health/ready}
if [ "$PORT" = 0 ]; then
  kill -0 1
  exit $?
fi
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$PATH_" >&3
IFS= read -r -t 3 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "$PATH_: $status"; exit 1 ;;
esac
