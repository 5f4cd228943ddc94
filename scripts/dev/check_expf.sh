#!/usr/bin/env bash
# Checks CKernels' copies of glibc's expf against the C library's, on all 2^32 floats
# (needs gcc and an x86-64 CPU with AVX2 and FMA; about a minute). See check_expf.c.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gcc -O2 -ffp-contract=off "$root/scripts/dev/check_expf.c" -o "$out/check_expf" -lm
(ldd --version 2>&1 || true) | sed -n 1p
"$out/check_expf"
