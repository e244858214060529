/*
 * fwcfg.h - QEMU's fw_cfg, legacy I/O interface only (no DMA).
 *
 * Two ports at LAYOUT_PORT_FWCFG: a 16-bit write at offset 0 selects an
 * item and rewinds it; each byte read at offset 1 returns the item's next
 * byte, 0 past its end or for an unknown key. Items:
 *   0x0000 signature "QEMU"          0x0001 ID, u32 LE: 1 = traditional, no DMA
 *   0x0003 RAM size, u64 LE          0x0005 CPU count, u16 LE
 *   0x000f max CPUs, u16 LE          0x0019 file directory, big-endian:
 *          u32 count, then per file {u32 size, u16 select, u16 0, char name[56]}
 *   0x0020.. files added with fwcfg_add_file(), sorted by name in the directory
 * The write-channel bit (0x4000) of a selector is ignored; data writes are
 * dropped, as in QEMU since 2.4.
 */
#ifndef DEVICES_FWCFG_H
#define DEVICES_FWCFG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "vmm/bus.h"

#define FWCFG_SIGNATURE 0x0000
#define FWCFG_ID 0x0001
#define FWCFG_RAM_SIZE 0x0003
#define FWCFG_NB_CPUS 0x0005
#define FWCFG_MAX_CPUS 0x000f
#define FWCFG_FILE_DIR 0x0019
#define FWCFG_FILE_FIRST 0x0020

#define FWCFG_MAX_FILES 16
#define FWCFG_NAME_LEN 56 /* including the NUL */
#define FWCFG_MAX_ITEMS (6 + FWCFG_MAX_FILES)

struct fwcfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data; /* owned */
	char name[FWCFG_NAME_LEN]; /* files only */
};

struct fwcfg {
	pthread_mutex_t lock; /* guards cur and pos */
	struct fwcfg_item items[FWCFG_MAX_ITEMS];
	int nr_items;
	int nr_files;
	int cur;      /* selected item index, -1 for an unknown key */
	uint32_t pos; /* next byte of the selected item */
	atomic_ulong ignored; /* writes other than a 16-bit selector */
};

extern const struct bus_ops fwcfg_ops;

/* The fixed items. cpus and max_cpus >= 1. 0 or -EINVAL / -ENOMEM. */
int fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t cpus, uint16_t max_cpus);

/*
 * Add a file (data copied) before the vCPUs run. Returns its selector key,
 * -EINVAL for an empty or too long name, -EEXIST for a duplicate name,
 * -ENOSPC past FWCFG_MAX_FILES, -ENOMEM.
 */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len);

void fwcfg_destroy(struct fwcfg *f);

#endif
