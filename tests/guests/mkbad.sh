#!/bin/sh
# mkbad.sh OUTDIR - write malformed boot images that the VMM must refuse,
# and OUTDIR/errors.txt: one line per image, "NAME<TAB>text", where text is
# part of the one-line error vmm prints (after "PATH: ") before exiting
# with status 2. The texts hold for any RAM size from 16 MiB to 3 GiB.
set -e
dir=$(dirname "$0")
. "$dir/imagelib.sh"
out=${1:?usage: mkbad.sh OUTDIR}
mkdir -p "$out"
: > "$out/errors.txt"

# expect NAME TEXT
expect() { printf '%s\t%s\n' "$1" "$2" >> "$out/errors.txt"; }

: > "$out/empty.bin"
expect empty.bin "empty file"

i=0
: > "$out/garbage.bin"
while [ $i -lt 64 ]; do printf 'vmm!' >> "$out/garbage.bin"; i=$((i + 1)); done
expect garbage.bin "not a bootable image: no Multiboot header in the first 8 KiB and no ELF magic"

img_elf64 "$out/tmp.bin"
head -c 40 "$out/tmp.bin" > "$out/truncated.bin"
expect truncated.bin "truncated ELF header (40 bytes, need 64)"

# the segment claims 256 file bytes; the file stops after the headers
head -c 176 "$out/tmp.bin" > "$out/truncated-segment.bin"
expect truncated-segment.bin "segment 0: file bytes at offset 0 (0x100 bytes) run past the end of the file (176 bytes)"
rm -f "$out/tmp.bin"

img_mb_elf32 "$out/mmio-hole.bin" 0xbff00000 0xbff00080 0x200000
expect mmio-hole.bin "segment 0 [0xbff00000, 0xc0100000) overlaps the MMIO hole at 0xc0000000"

# 2 TiB of BSS: more than any VM's RAM
img_elf64 "$out/too-big.bin" 0x100000 0x100080 0x20000000000
expect too-big.bin "image needs 2097153 MiB of memory but the VM has"

MB_SUM_DELTA=1 img_mb_elf32 "$out/bad-checksum.bin"
expect bad-checksum.bin "Multiboot header at offset 0x60 has a bad checksum (magic + flags + checksum = 0x1, not 0)"

img_mb_elf32 "$out/boot-info.bin" 0x6f000
expect boot-info.bin "segment 0 [0x6f000, 0x70100) overlaps the boot info area [0x10000, 0x70000)"

img_mb_elf32 "$out/low-mem.bin" 0x80000
expect low-mem.bin "segment 0 [0x80000, 0x81100) starts below 0x100000: the low 1 MiB is reserved"

img_mb_elf32 "$out/bad-entry.bin" 0x100000 0x100100
expect bad-entry.bin "entry point 0x100100 is not inside the loaded file bytes of any segment"

img_mb_elf32 "$out/required-flags.bin" 0x100000 "" 0x1100 0xb
expect required-flags.bin "Multiboot header flags 0xb require features this loader lacks (bits 0x8)"

{ elf32_ehdr 0x100080 1; elf32_phdr 1 0 0x100000 256 256; } > "$out/elf32-plain.bin"
finish "$out/elf32-plain.bin"
expect elf32-plain.bin "ELF image without a Multiboot header is not ELF64 (only ELF64 boots without one)"

img_mb_aout "$out/aout-truncated.bin" 0x100400
expect aout-truncated.bin "a.out kludge: [0x100000, 0x100400) needs file bytes [0, 0x400) but the file has 256 bytes"

# p_offset near 2^64: offset + size must not wrap around
{ elf64_ehdr 0x100080 1; le32 1; le32 7; le64 0xffffff00 0xffffffff; le64 0x100000
  le64 0x100000; le64 0x200; le64 0x200; le64 4096; } > "$out/offset-overflow.bin"
finish "$out/offset-overflow.bin"
expect offset-overflow.bin "segment 0: file bytes at offset 0xffffffffffffff00 (0x200 bytes) run past the end of the file (256 bytes)"

{ elf64_ehdr 0x100080 17
  i=0
  while [ $i -lt 17 ]; do elf64_phdr 1 0 $((0x100000 + i * 0x1000)) 16 16; i=$((i + 1)); done
} > "$out/too-many-segments.bin"
expect too-many-segments.bin "more than 16 loadable segments"

{ elf64_ehdr 0x100080 1; elf64_phdr 1 0 0x100000 256 256; } > "$out/not-exec.bin"
finish "$out/not-exec.bin"
printf '\003' | dd of="$out/not-exec.bin" bs=1 seek=16 conv=notrunc 2>/dev/null
expect not-exec.bin "ELF type 3 is not an executable (ET_EXEC)"
