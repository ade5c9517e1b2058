#!/usr/bin/env bash
# Segur.pas keeps step with segur.h: every function of the header is imported (cdecl, from
# SegurLib) and every SEGUR_* enumerator has a constant of the same value.
set -euo pipefail
cd "$(dirname "$0")"
header=../include/segur.h
unit=Segur.pas
status=0
for f in $(grep -Eo '\bsegur_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u); do
  if ! grep -Eiq "^(function|procedure) $f\b" "$unit"; then
    echo "Segur.pas: $f is not imported"; status=1
  fi
done
while read -r name value; do
  if ! grep -Eq "^  $name = $value;" "$unit"; then
    echo "Segur.pas: $name = $value missing or different"; status=1
  fi
done < <(grep -Eo '^  SEGUR_[A-Z0-9_]+ = [0-9]+' "$header" | sed 's/ = / /')
n=$(grep -Ec '^(function|procedure) segur_' "$unit")
m=$(grep -Eo '\bsegur_[a-z0-9_]+\(' "$header" | sort -u | wc -l)
[ "$n" -eq "$m" ] || { echo "Segur.pas imports $n functions, segur.h declares $m"; status=1; }
grep -c 'cdecl' "$unit" >/dev/null
exit $status
