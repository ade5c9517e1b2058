#!/usr/bin/env bash
# Cross-builds segur.dll for Windows with Debian's mingw-w64 and stages what a Windows vendor
# ships or links against under PREFIX (default target/segur-windows/<arch>):
#   bin/segur.dll          the library, beside the application's .exe at run time
#   lib/libsegur.dll.a     import library for mingw-w64 gcc / clang (written by rustc)
#   lib/segur.def          module definition: every export, for `lib /def:segur.def` (MSVC)
#   lib/segur.lib          import library made from segur.def by binutils' dlltool
#   include/segur.h        the committed cbindgen header, the same as on Linux
# Delphi needs only bin/segur.dll (Segur.pas imports by name, `external 'segur.dll'`).
# Usage: ffi/scripts/stage-windows.sh [--debug] x86_64|i686 [PREFIX]   (release by default: what ships)
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=release
cargo_profile=(--release)
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  cargo_profile=()
  shift
fi
arch=${1:?usage: stage-windows.sh [--debug] x86_64|i686 [PREFIX]}
case "$arch" in
  x86_64) machine=i386:x86-64 ;;
  i686) machine=i386 ;;
  *) echo "stage-windows.sh: unknown architecture $arch (x86_64 or i686)" >&2; exit 2 ;;
esac
triple="$arch-pc-windows-gnu"
cross="$arch-w64-mingw32"
for tool in "$cross-gcc" "$cross-dlltool" "$cross-objdump" "$cross-objcopy"; do
  command -v "$tool" >/dev/null || {
    echo "stage-windows.sh: $tool is missing (scripts/install-deps installs gcc-mingw-w64-${arch/_/-})" >&2
    exit 1
  }
done
rustup target list --installed 2>/dev/null | grep -qx "$triple" || {
  echo "stage-windows.sh: the Rust target $triple is missing (scripts/install-deps adds it)" >&2
  exit 1
}

dest="${2:-target/segur-windows/$arch}"
mkdir -p "$dest/bin" "$dest/lib" "$dest/include"
dest=$(cd "$dest" && pwd)

# Cargo picks the mingw linker for *-pc-windows-gnu, and the cc crate (ring, SQLite) the
# matching $cross-gcc, by themselves: no Cargo config needed.
cargo build -p segur-ffi --locked --target "$triple" "${cargo_profile[@]}" >&2

built="target/$triple/$profile"
# The release profile keeps line tables for backtraces (debug = 1): 140 MB of DWARF that no
# Windows debugger reads. The shipped DLL is stripped (exports stay, in .edata); the symbols stay in cargo's copy.
"$cross-objcopy" --strip-all "$built/segur.dll" "$dest/bin/segur.dll"
cp "$built/libsegur.dll.a" "$dest/lib/libsegur.dll.a"
cp ffi/include/segur.h "$dest/include/segur.h"

# The export table of the DLL as it was linked, not a hand-kept list.
{
  echo "LIBRARY segur.dll"
  echo "EXPORTS"
  "$cross-objdump" -p "$dest/bin/segur.dll" |
    sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' |
    sed -n 's/^[[:space:]]*\[[[:space:]]*[0-9]*\] \([A-Za-z_][A-Za-z0-9_@]*\)$/    \1/p'
} >"$dest/lib/segur.def"
"$cross-dlltool" --machine "$machine" --input-def "$dest/lib/segur.def" --dllname segur.dll \
  --output-lib "$dest/lib/segur.lib"
echo "$dest"
