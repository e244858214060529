# vmm - a minimal KVM hypervisor and the tiny kernel it boots.
#
#   make          build build/vmm and build/guest.bin
#   make run      boot build/guest.bin
#   make test     unit tests (plain and ASan+UBSan), fuzz smoke, KVM tests
#   make fuzz     run the fuzzers for FUZZ_SECONDS each

CC      ?= cc
CLANG   ?= clang
JOBS    ?= 2
FUZZ_SECONDS ?= 20

WARN    := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
           -Wshadow -Wno-unused-parameter -Werror
CFLAGS  ?= -O2 -g
CPPFLAGS := -I. -D_GNU_SOURCE
HOST_CFLAGS := -std=gnu11 $(WARN) -pthread -fno-strict-aliasing
LDLIBS  := -lfdt -pthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B := build

# Everything but main.c is a library that the unit tests link against.
LIB_SRCS  := $(sort $(filter-out vmm/main.c,$(wildcard vmm/*.c devices/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/obj/%.o)
ASAN_OBJS := $(LIB_SRCS:%.c=$(B)/asan/%.o)
HDRS      := $(wildcard vmm/*.h devices/*.h)

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
UNIT_ASAN := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/asan/%)

# ---- guest kernel -------------------------------------------------------
GUEST_SRCS  := $(sort $(wildcard guest/*.c guest/*.S))
GUEST_OBJS  := $(patsubst %,$(B)/%.o,$(GUEST_SRCS))
GUEST_HDRS  := $(wildcard guest/*.h) vmm/guest_abi.h vmm/layout.h
GUEST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -nostdlib -m64 -mno-red-zone \
	-mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -mno-avx \
	-mcmodel=small -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-omit-frame-pointer -I. -Iguest
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

# ---- tiny test guests: tests/guests/NAME.S -> build/tests/guests/NAME.bin --
# Assembled as ELF64, shipped as ELF32 Multiboot images (QEMU -kernel takes
# them too), except elf64.bin (plain ELF64) and aout.bin (a flat binary with
# the Multiboot a.out kludge). mkbad.sh writes malformed images and their
# expected errors into build/tests/guests/bad/.
TGUEST_SRCS := $(sort $(wildcard tests/guests/*.S))
TGUEST_BINS := $(TGUEST_SRCS:tests/guests/%.S=$(B)/tests/guests/%.bin)
TGUEST_FORMAT_elf64 := elf64-x86-64
TGUEST_FORMAT_aout := binary

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(B)/tools/%)

.PHONY: all run test unit fuzz clean guests tools install
PREFIX ?= /usr/local
all: $(B)/vmm $(B)/guest.bin

# The binary lives in build/: the source folder vmm/ holds the name at the top.
$(B)/vmm: $(B)/obj/vmm/main.o $(B)/libvmm.a
	$(CC) $(CFLAGS) $(HOST_CFLAGS) -o $@ $^ $(LDLIBS)

# vmm itself under AddressSanitizer + UBSan, for the KVM tests
$(B)/vmm-asan: $(B)/asan/vmm/main.o $(B)/libvmm-asan.a
	$(CC) $(CFLAGS) $(HOST_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(B)/libvmm.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libvmm-asan.a: $(ASAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HOST_CFLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HOST_CFLAGS) $(SAN) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libvmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HOST_CFLAGS) -o $@ $< $(B)/libvmm.a $(LDLIBS)

$(B)/tests/asan/%: tests/unit/%.c tests/unit/unit.h $(B)/libvmm-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HOST_CFLAGS) $(SAN) -o $@ $< $(B)/libvmm-asan.a $(LDLIBS)

# These build guest sources (freestanding) into host tests.
$(B)/tests/test_guest_fdt $(B)/tests/asan/test_guest_fdt: guest/fdt.c guest/fdt.h
$(B)/tests/test_guest_format $(B)/tests/asan/test_guest_format: guest/format.c guest/format.h

$(B)/guest/%.c.o: guest/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/guest/%.S.o: guest/%.S $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

# Linked as ELF64, shipped as ELF32 so that Multiboot loaders (QEMU's too)
# accept it; the entry point is 32-bit code.
$(B)/guest.elf: $(GUEST_OBJS) guest/linker.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T guest/linker.ld -o $@ $(GUEST_OBJS)

$(B)/guest.bin: $(B)/guest.elf
	objcopy -O elf32-i386 $< $@

$(B)/tests/guests/%.bin: tests/guests/%.S tests/guests/guests.ld tests/guests/multiboot.h \
		vmm/layout.h
	@mkdir -p $(dir $@)
	$(CC) -m64 -nostdlib -I. -D__ASSEMBLY__ -c -o $@.o $<
	ld -T tests/guests/guests.ld --build-id=none -z max-page-size=0x1000 \
		-z noexecstack --no-warn-rwx-segments -o $@.elf $@.o
	objcopy -O $(or $(TGUEST_FORMAT_$*),elf32-i386) $@.elf $@

$(B)/tests/guests/bad/errors.txt: tests/guests/mkbad.sh tests/guests/imagelib.sh
	sh tests/guests/mkbad.sh $(dir $@)

guests: $(TGUEST_BINS) $(B)/tests/guests/bad/errors.txt

$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) -O1 -g -std=gnu11 -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(LIB_SRCS) $(LDLIBS)

$(B)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HOST_CFLAGS) -o $@ $<

tools: $(TOOL_BINS)

unit: $(UNIT_BINS) $(UNIT_ASAN)

run: all
	$(B)/vmm $(B)/guest.bin

test: all unit guests tools $(B)/vmm-asan
	bash tests/run

fuzz: $(FUZZ_BINS)
	bash tests/fuzz/mkseeds.sh $(B)/fuzz/seeds
	@for f in $(FUZZ_BINS); do \
		mkdir -p $(B)/fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $(B)/fuzz/corpus-$$(basename $$f) \
			$(B)/fuzz/seeds/$$(basename $$f) || exit 1; \
	done

install: $(B)/vmm
	install -D -m 755 $(B)/vmm $(DESTDIR)$(PREFIX)/bin/vmm

clean:
	rm -rf $(B)
