/*
 * lib.c - string routines and spinlocks.
 *
 * Kernel code is emulated one instruction at a time on this host (~1 us
 * each), and a REP string instruction costs about that per iteration but
 * needs no loop instructions around it, so the string routines are REP
 * instructions, moving quadwords where they can.
 */
#include "kernel.h"

/*
 * Each REP iteration still costs about one emulated instruction, so bulk
 * copies move quadwords and only the tail moves bytes.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t q = n / 8, b = n % 8;
	asm volatile("rep movsq\n\t"
		     "mov %3, %%rcx\n\t"
		     "rep movsb"
		     : "+D"(d), "+S"(src), "+c"(q)
		     : "r"(b)
		     : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t q = n / 8, b = n % 8;
	uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
	asm volatile("rep stosq\n\t"
		     "mov %3, %%rcx\n\t"
		     "rep stosb"
		     : "+D"(d), "+c"(q)
		     : "a"(v), "r"(b)
		     : "memory");
	return dst;
}

/*
 * Overlap-safe copy: backwards (DF=1) when dst lies inside [src, src+n).
 * Kept for the compiler, which may call it for overlapping copies.
 */
void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
		return memcpy(dst, src, n);
	if (n) {
		void *d = (char *)dst + n - 1;
		const void *s = (const char *)src + n - 1;
		asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
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

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags;
	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			cpu_relax();
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	if (flags & 0x200)
		irq_enable();
}
