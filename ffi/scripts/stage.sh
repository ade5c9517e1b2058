#!/usr/bin/env bash
# Installs libsegur as a C library under PREFIX (default target/segur-c) with cargo-c
# (`cargo cinstall`), after installing the pinned cargo-c when it is missing:
#   include/segur.h                  committed cbindgen header ([package.metadata.capi.header])
#   lib/libsegur.so.X.Y.Z            shared library, SONAME libsegur.so.X.Y.Z
#   lib/libsegur.so -> libsegur.so.X.Y.Z
#   lib/libsegur.a                   static library
#   lib/pkgconfig/segur.pc           Libs, Cflags, Libs.private (the static library's system libs)
# Usage: ffi/scripts/stage.sh [--release] [PREFIX]      (debug by default: quicker to build)
set -euo pipefail
cd "$(dirname "$0")/../.."

# The newest cargo-c that builds with the toolchain of this workspace's CI (rustc 1.95).
CARGO_C_VERSION=0.10.24

profile=(--debug)
if [ "${1:-}" = "--release" ]; then
  profile=()
  shift
fi
dest=$(mkdir -p "${1:-target/segur-c}" && cd "${1:-target/segur-c}" && pwd)

if ! cargo cinstall --version 2>/dev/null | grep -q "^cargo-c $CARGO_C_VERSION"; then
  # A debug build of cargo-c: a third of the compile time of a release one, and it only
  # drives cargo.
  cargo install cargo-c --version "$CARGO_C_VERSION" --locked --debug --quiet >&2
fi

rm -rf "$dest/include/segur.h" "$dest/lib/libsegur."* "$dest/lib/pkgconfig/segur.pc"
cargo cinstall -p segur-ffi --locked "${profile[@]}" \
  --prefix "$dest" --libdir "$dest/lib" --includedir "$dest/include" \
  --pkgconfigdir "$dest/lib/pkgconfig" >&2
echo "$dest"
