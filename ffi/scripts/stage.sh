#!/usr/bin/env bash
# Lays out libsegur as an installed C library under DESTDIR (default target/segur-c), the same
# files `cargo cinstall` would install, without needing cargo-c:
#   include/segur.h                  committed cbindgen header
#   lib/libsegur.so.X.Y.Z            shared library, SONAME libsegur.so.X.Y.Z (set by ffi/build.rs)
#   lib/libsegur.so -> libsegur.so.X.Y.Z
#   lib/libsegur.a                   static library
#   lib/pkgconfig/segur.pc           Libs, Cflags, Libs.private (rustc's native-static-libs)
# Usage: ffi/scripts/stage.sh [--release] [DESTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=debug
cargo_profile=()
if [ "${1:-}" = "--release" ]; then
  profile=release
  cargo_profile=(--release)
  shift
fi
dest=$(mkdir -p "${1:-target/segur-c}" && cd "${1:-target/segur-c}" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

# The static library through `cargo rustc` so rustc prints the system libraries it needs.
native=$(cargo rustc -p segur-ffi --lib --locked "${cargo_profile[@]}" --crate-type staticlib \
           -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -1)
cargo build -p segur-ffi --lib --locked "${cargo_profile[@]}" --quiet

mkdir -p "$dest/include" "$dest/lib/pkgconfig"
cp ffi/include/segur.h "$dest/include/"
cp "target/$profile/libsegur.a" "$dest/lib/"
rm -f "$dest/lib/libsegur.so"*
cp "target/$profile/libsegur.so" "$dest/lib/libsegur.so.$version"
ln -s "libsegur.so.$version" "$dest/lib/libsegur.so"

cat > "$dest/lib/pkgconfig/segur.pc" <<PC
prefix=$dest
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: segur
Description: segur SDK for French pharmacy software (Ségur du numérique en santé)
Version: $version
Libs: -L\${libdir} -lsegur
Libs.private: $native
Cflags: -I\${includedir}
PC
echo "$dest"
