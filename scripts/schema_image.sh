#!/usr/bin/env bash
# The durable schema's guard. proto/schema.binpb is a buf image of proto/ as it last landed.
#   scripts/schema_image.sh check    (the test suite): buf breaking of proto/ against the image,
#                                    then that the image is current (same bytes as a fresh build).
#   scripts/schema_image.sh refresh  (make schema-image): rebuild the image; commit it with the
#                                    proto change it follows.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
image=proto/schema.binpb
case "${1:-}" in
  refresh)
    "$buf" build proto --exclude-source-info -o "$image"
    ;;
  check)
    # FILE rules (buf.yaml): no field renumbered, retyped, renamed or removed; no message, enum
    # value or service method removed.
    "$buf" breaking proto --against "$image"
    fresh=$(mktemp --suffix=.binpb)
    trap 'rm -f "$fresh"' EXIT
    "$buf" build proto --exclude-source-info -o "$fresh"
    if ! cmp -s "$fresh" "$image"; then
      echo "schema_image: proto/ changed since $image was made: after checking the change is" >&2
      echo "additive, run 'make schema-image' and commit the image with the change." >&2
      exit 1
    fi
    echo "schema_image: proto/ is compatible with, and recorded in, $image"
    ;;
  *)
    echo "usage: $0 check|refresh" >&2
    exit 2
    ;;
esac
