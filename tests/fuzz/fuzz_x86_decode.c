/*
 * fuzz_x86_decode.c - libFuzzer target for the instruction decoder.
 *
 * The first byte picks the mode (16, 32 or 64-bit); the rest are code
 * bytes. Beyond not crashing or reading past the input, it checks what the
 * fatal-state dump relies on: a decoded length of 1..15 within the input,
 * the same length when the input ends right after the instruction,
 * "truncated" when it ends one byte early, text that fits and is cut
 * cleanly, and a listing whose length is what x86_disasm() returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int modes[3] = { 16, 32, 64 };
	struct x86_insn in, again;
	char text[128], cut[9], listing[1024], tiny[40];

	if (size < 1)
		return 0;
	int mode = modes[data[0] % 3];
	data++;
	size--;

	int n = x86_decode(data, size, mode, &in);
	if (n >= 0) {
		if (n < 1 || n > X86_MAX_INSN_LEN || (size_t)n > size || in.len != n)
			abort();
		in.rip = 0xfffffffffffffff0ull; /* branch targets wrap */
		int tl = x86_format(&in, text, sizeof(text));
		if (tl <= 0 || (size_t)tl >= sizeof(text) || strlen(text) != (size_t)tl)
			abort();
		if (x86_format(&in, cut, sizeof(cut)) != tl || strncmp(cut, text, strlen(cut)) != 0)
			abort();
		if (x86_decode(data, (size_t)n, mode, &again) != n)
			abort();
		if (n > 1 && (x86_decode(data, (size_t)n - 1, mode, &again) != -1 || !again.truncated))
			abort();
	} else if (in.truncated && size >= X86_MAX_INSN_LEN) {
		abort();
	}

	int ll = x86_disasm(data, size, mode, 0xffffffff81000000ull, listing, sizeof(listing));
	if (ll < 0 || strlen(listing) != (size_t)ll)
		abort();
	ll = x86_disasm(data, size, mode, 0, tiny, sizeof(tiny));
	if (ll < 0 || strlen(tiny) != (size_t)ll)
		abort();
	return 0;
}
