/*
 * lib.c - string routines (the spinlocks are inline, in kernel.h).
 *
 * Kernel code is emulated one instruction at a time on this host (~1 us
 * each), and a REP string instruction costs about that per iteration but
 * needs no loop instructions around it, so the string routines are REP
 * instructions, moving quadwords where they can.
 */
#include "kernel.h"

typedef uint64_t __attribute__((may_alias, aligned(1))) u64_any;
typedef uint32_t __attribute__((may_alias, aligned(1))) u32_any;

/*
 * Each REP iteration still costs about one emulated instruction, so bulk
 * copies move quadwords, and a tail of 1..7 bytes is one more quadword
 * that overlaps what was copied (the regions must not overlap).
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	if (n >= 8) {
		void *d = dst;
		const void *s = src;
		size_t q = n / 8;
		asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
		if (n % 8)
			*(u64_any *)((char *)dst + n - 8) = *(const u64_any *)((const char *)src + n - 8);
	} else if (n >= 4) {
		*(u32_any *)dst = *(const u32_any *)src;
		*(u32_any *)((char *)dst + n - 4) = *(const u32_any *)((const char *)src + n - 4);
	} else {
		void *d = dst;
		asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	}
	return dst;
}

/* Quadwords, then one overlapping quadword for the tail (as memcpy). */
void *memset(void *dst, int c, size_t n)
{
	uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
	if (n >= 8) {
		void *d = dst;
		size_t q = n / 8;
		asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
		if (n % 8)
			*(u64_any *)((char *)dst + n - 8) = v;
	} else {
		void *d = dst;
		asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(v) : "memory");
	}
	return dst;
}

/*
 * Overlap-safe copy: forwards by bytes when dst lies below an overlapping
 * src (memcpy's overlapping tail would read bytes already overwritten),
 * backwards (DF=1) when dst lies inside [src, src+n).
 */
void *memmove(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
	if (d + n <= s || d >= s + n)
		return memcpy(dst, src, n);
	if (d < s) {
		void *dp = dst;
		asm volatile("rep movsb" : "+D"(dp), "+S"(src), "+c"(n) : : "memory");
	} else if (n) {
		void *dp = (char *)dst + n - 1;
		const void *sp = (const char *)src + n - 1;
		asm volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(n) : : "memory");
	}
	return dst;
}

/* Equal quadwords are skipped 8 bytes a step; the bytes decide the sign. */
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	size_t q = n / 8;
	if (q) {
		asm volatile("repe cmpsq" : "+D"(pb), "+S"(pa), "+c"(q) : : "memory", "cc");
		if (*(const u64_any *)(pa - 8) != *(const u64_any *)(pb - 8)) {
			pa -= 8; /* compare that quadword by bytes */
			pb -= 8;
			n = 8;
		} else {
			n %= 8;
		}
	}
	if (!n)
		return 0;
	asm volatile("repe cmpsb" : "+D"(pb), "+S"(pa), "+c"(n) : : "memory", "cc");
	/* Both pointers stepped one past the first difference (or the end). */
	return (int)pa[-1] - (int)pb[-1];
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	if (!n)
		return NULL;
	asm volatile("repne scasb" : "+D"(p), "+c"(n) : "a"(c) : "memory", "cc");
	/* p is one past the match, or at the end when there was none. */
	return p[-1] == (unsigned char)c ? (void *)(p - 1) : NULL;
}

size_t strnlen(const char *s, size_t max)
{
	const char *p = s;
	size_t left = max;
	if (!max)
		return 0;
	asm volatile("repne scasb" : "+D"(p), "+c"(left) : "a"(0) : "memory", "cc");
	/* p is one past the NUL, or at s + max when none was found. */
	if (p[-1] == '\0' && (size_t)(p - s) <= max)
		return (size_t)(p - s) - 1;
	return max;
}

size_t strlen(const char *s)
{
	return strnlen(s, (size_t)-1 >> 1);
}

int strcmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int r = memcmp(a, b, (la < lb ? la : lb) + 1);
	return r;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
