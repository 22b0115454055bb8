#!/usr/bin/env bash
# Vendors ECharts' built file (echarts.min.js) with its LICENSE and NOTICE into the portal's static folder, from the npm
# package at a pinned version, checked against the tarball's pinned SHA-512. The copy is committed, so this runs npm only
# when it is missing (`make vendor`, or after deleting the folder to change the version). No CDN: the 数据大屏 draws its
# gauges, trend lines, rankings and the grid map (GeoJSON, no tiles) with it.
set -euo pipefail

VERSION=5.6.0
INTEGRITY="sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/services/portal/static/vendor/echarts"

if [ -f "$DEST/echarts.min.js" ] && [ -f "$DEST/LICENSE" ] && [ "${1:-}" != "--force" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "vendor-echarts: npm is needed to fetch echarts@$VERSION" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$VERSION" >/dev/null)
tarball="$work/echarts-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "vendor-echarts: echarts-$VERSION.tgz does not match the pinned SHA-512 ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$DEST/"
[ -f "$work/package/NOTICE" ] && cp "$work/package/NOTICE" "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
echo "vendored echarts@$VERSION into ${DEST#"$ROOT"/}"
