# imagelib.sh - write tiny boot images byte by byte with printf and head.
#
# Sourced by mkimages.sh (good images) and mkbad.sh (malformed ones); POSIX
# sh, no python. Numbers are shell integers (hex is fine); a 64-bit field
# whose top bit is set is written as two 32-bit halves: le64 LO HI.
#
# Every image is 256 bytes unless a builder says otherwise, and loads as a
# whole (headers included) at its load address, 1 MiB by default. Its code
# at offset CODE (0xc0) is "mov $42, %eax; out %eax, $0xf4; hlt; jmp .",
# the same bytes in 32- and 64-bit mode.

CODE=0xc0

b8() { printf "\\$(printf '%03o' $(( $1 & 255 )))"; }
le16() { b8 "$1"; b8 $(( $1 >> 8 )); }
le32() { le16 $(( $1 & 0xffff )); le16 $(( ($1 >> 16) & 0xffff )); }
le64() {
	if [ $# -gt 1 ]; then
		le32 "$1"; le32 "$2"
	else
		le32 $(( $1 & 0xffffffff )); le32 $(( ($1 >> 32) & 0xffffffff ))
	fi
}

# pad FILE SIZE: append zero bytes up to SIZE
pad() {
	n=$(( $2 - $(wc -c < "$1") ))
	if [ $n -gt 0 ]; then head -c $n /dev/zero >> "$1"; fi
}

elf_ident() { printf '\177ELF'; b8 "$1"; b8 1; b8 1; head -c 9 /dev/zero; }

# elf64_ehdr ENTRY PHNUM
elf64_ehdr() {
	elf_ident 2; le16 2; le16 62; le32 1; le64 "$1"; le64 64; le64 0; le32 0
	le16 64; le16 56; le16 "$2"; le16 0; le16 0; le16 0
}
# elf64_phdr TYPE OFFSET PADDR FILESZ MEMSZ [VADDR]
elf64_phdr() {
	le32 "$1"; le32 7; le64 "$2"; le64 "${6:-$3}"; le64 "$3"; le64 "$4"; le64 "$5"
	le64 4096
}
# elf32_ehdr ENTRY PHNUM
elf32_ehdr() {
	elf_ident 1; le16 2; le16 3; le32 1; le32 "$1"; le32 52; le32 0; le32 0
	le16 52; le16 32; le16 "$2"; le16 0; le16 0; le16 0
}
# elf32_phdr TYPE OFFSET PADDR FILESZ MEMSZ [VADDR]
elf32_phdr() {
	le32 "$1"; le32 "$2"; le32 "${6:-$3}"; le32 "$3"; le32 "$4"; le32 "$5"; le32 7
	le32 4096
}

# mb_header FLAGS [HEADER_ADDR LOAD_ADDR LOAD_END_ADDR BSS_END_ADDR ENTRY_ADDR]
# MB_SUM_DELTA (default 0) is added to the checksum, to break it.
mb_header() {
	le32 0x1BADB002; le32 "$1"
	le32 $(( (0 - 0x1BADB002 - $1 + ${MB_SUM_DELTA:-0}) & 0xffffffff ))
	shift
	for v in "$@"; do le32 "$v"; done
}

exit_code() { b8 0xb8; le32 "$1"; b8 0xe7; b8 0xf4; b8 0xf4; b8 0xeb; b8 0xfe; }

# finish OUT: the code at CODE, then pad to 256 bytes
finish() {
	if [ "$(wc -c < "$1")" -gt $((CODE)) ]; then
		echo "imagelib: $1: headers run past the code offset" >&2
		return 1
	fi
	pad "$1" $CODE; exit_code 42 >> "$1"; pad "$1" 256
}

# img_mb_elf32 OUT [PADDR [ENTRY [MEMSZ [FLAGS [VADDR]]]]]
# Multiboot ELF32; the entry defaults to the code at PADDR + CODE.
img_mb_elf32() {
	_p=${2:-0x100000}
	{ elf32_ehdr "${3:-$(( ${6:-$_p} + CODE ))}" 1
	  elf32_phdr 1 0 "$_p" 256 "${4:-0x1100}" "${6:-$_p}"; } > "$1"
	pad "$1" 0x60; mb_header "${5:-3}" >> "$1"; finish "$1"
}

# img_mb_elf64 OUT [PADDR [ENTRY [MEMSZ]]]
img_mb_elf64() {
	_p=${2:-0x100000}
	{ elf64_ehdr "${3:-$(( _p + CODE ))}" 1; elf64_phdr 1 0 "$_p" 256 "${4:-0x1100}"; } > "$1"
	mb_header 3 >> "$1"; finish "$1"
}

# img_elf64 OUT [PADDR [ENTRY [MEMSZ]]]: plain ELF64, plus a BSS-only segment
img_elf64() {
	_p=${2:-0x100000}
	{ elf64_ehdr "${3:-$(( _p + CODE ))}" 2; elf64_phdr 1 0 "$_p" 256 "${4:-0x100}"
	  elf64_phdr 1 0 $(( _p + 0x200000 )) 0 0x1000; } > "$1"
	finish "$1"
}

# img_mb_aout OUT [LOAD_END [BSS_END [ENTRY [LOAD_ADDR]]]]
# Flat binary with the a.out kludge: header at offset 0, file loads at 1 MiB.
img_mb_aout() {
	_l=${5:-0x100000}
	mb_header 0x10002 "$_l" "$_l" "${2:-0}" "${3:-$(( _l + 0x2000 ))}" \
		"${4:-$(( _l + CODE ))}" > "$1"
	finish "$1"
}
