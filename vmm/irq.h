/*
 * irq.h - how a device raises an interrupt line without knowing about KVM.
 *
 * The VM supplies an irq_line bound to a GSI; unit tests supply a fake.
 */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

struct irq_line {
	/* Drive the line to level (0 or 1). Returns 0 or -errno. */
	int (*set)(void *opaque, unsigned int gsi, int level);
	void *opaque;
	unsigned int gsi;
};

static inline int irq_line_set(const struct irq_line *line, int level)
{
	if (!line || !line->set)
		return 0;
	return line->set(line->opaque, line->gsi, level);
}

#endif
