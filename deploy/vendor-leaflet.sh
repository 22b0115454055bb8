#!/usr/bin/env bash
# Vendors Leaflet's built files (leaflet.js, leaflet.css, marker images, LICENSE) into the portal's static folder,
# from the npm package at a pinned version, checked against the tarball's pinned SHA-512. The copy is committed, so
# this runs npm only when it is missing (`make vendor`, or after deleting the folder to change the version).
# No CDN, no tile server: the filing form's map draws the grid polygons only.
set -euo pipefail

VERSION=1.9.4
INTEGRITY="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/services/portal/static/vendor/leaflet"

if [ -f "$DEST/leaflet.js" ] && [ -f "$DEST/leaflet.css" ] && [ -f "$DEST/LICENSE" ] && [ "${1:-}" != "--force" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "vendor-leaflet: npm is needed to fetch leaflet@$VERSION" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "leaflet@$VERSION" >/dev/null)
tarball="$work/leaflet-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "vendor-leaflet: leaflet-$VERSION.tgz does not match the pinned SHA-512 ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST/images"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" "$work/package/LICENSE" "$DEST/"
cp "$work/package/dist/images/"*.png "$DEST/images/"
echo "$VERSION" > "$DEST/VERSION"
echo "vendored leaflet@$VERSION into ${DEST#"$ROOT"/}"
