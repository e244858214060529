#!/bin/sh
# mkimages.sh OUTDIR - write tiny well-formed boot images, one per format
# the loader accepts (the fuzzer's seeds start from these). Each exits with
# status 42 through the exit port when booted.
set -e
dir=$(dirname "$0")
. "$dir/imagelib.sh"
out=${1:?usage: mkimages.sh OUTDIR}
mkdir -p "$out"

img_mb_elf32 "$out/good-mb-elf32.bin"
img_mb_elf64 "$out/good-mb-elf64.bin"
img_mb_aout "$out/good-mb-aout.bin"
img_elf64 "$out/good-elf64.bin"
# linked at 3 GiB + 1 MiB, loaded at 1 MiB: the entry is translated
img_mb_elf32 "$out/good-mb-elf32-high.bin" 0x100000 "" 0x1100 3 0xc0100000
# video mode requested: accepted, ignored
img_mb_elf32 "$out/good-mb-video.bin" 0x100000 "" 0x1100 7
