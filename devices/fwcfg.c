/* fwcfg.c - QEMU's fw_cfg over the legacy selector/data ports. */
#include "devices/fwcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FWCFG_WRITE_CHANNEL 0x4000
#define FWCFG_ID_TRADITIONAL 0x1

static void fwcfg_put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fwcfg_put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* Append an item holding a copy of data[0..len). 0 or -ENOMEM/-ENOSPC. */
static int fwcfg_add_item(struct fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	struct fwcfg_item *it;
	uint8_t *copy = NULL;

	if (f->nr_items == FWCFG_MAX_ITEMS)
		return -ENOSPC;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	it = &f->items[f->nr_items++];
	memset(it, 0, sizeof(*it));
	it->key = key;
	it->len = len;
	it->data = copy;
	return 0;
}

static struct fwcfg_item *fwcfg_find(struct fwcfg *f, uint16_t key)
{
	for (int i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

static int fwcfg_cmp_name(const void *a, const void *b)
{
	const struct fwcfg_item *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Rebuild the file directory item from the file items. 0 or -ENOMEM. */
static int fwcfg_build_dir(struct fwcfg *f)
{
	struct fwcfg_item *dir = fwcfg_find(f, FWCFG_FILE_DIR);
	struct fwcfg_item *files[FWCFG_MAX_FILES];
	uint32_t len = 4 + (uint32_t)f->nr_files * 64;
	uint8_t *buf = calloc(1, len);
	int n = 0;

	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < f->nr_items; i++)
		if (f->items[i].key >= FWCFG_FILE_FIRST)
			files[n++] = &f->items[i];
	qsort(files, (size_t)n, sizeof(files[0]), fwcfg_cmp_name);
	fwcfg_put_be(buf, (uint64_t)n, 4);
	for (int i = 0; i < n; i++) {
		uint8_t *e = buf + 4 + 64 * i;

		fwcfg_put_be(e, files[i]->len, 4);
		fwcfg_put_be(e + 4, files[i]->key, 2);
		memcpy(e + 8, files[i]->name, FWCFG_NAME_LEN);
	}
	free(dir->data);
	dir->data = buf;
	dir->len = len;
	return 0;
}

int fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t cpus, uint16_t max_cpus)
{
	uint8_t id[4], ram[8], ncpu[2], maxcpu[2];
	int err;

	memset(f, 0, sizeof(*f));
	if (cpus == 0 || max_cpus < cpus)
		return -EINVAL;
	err = pthread_mutex_init(&f->lock, NULL);
	if (err)
		return -err;
	f->cur = -1;
	atomic_init(&f->ignored, 0);
	fwcfg_put_le(id, FWCFG_ID_TRADITIONAL, 4);
	fwcfg_put_le(ram, ram_size, 8);
	fwcfg_put_le(ncpu, cpus, 2);
	fwcfg_put_le(maxcpu, max_cpus, 2);
	if ((err = fwcfg_add_item(f, FWCFG_SIGNATURE, "QEMU", 4)) ||
	    (err = fwcfg_add_item(f, FWCFG_ID, id, 4)) ||
	    (err = fwcfg_add_item(f, FWCFG_RAM_SIZE, ram, 8)) ||
	    (err = fwcfg_add_item(f, FWCFG_NB_CPUS, ncpu, 2)) ||
	    (err = fwcfg_add_item(f, FWCFG_MAX_CPUS, maxcpu, 2)) ||
	    (err = fwcfg_add_item(f, FWCFG_FILE_DIR, NULL, 0)) ||
	    (err = fwcfg_build_dir(f))) {
		fwcfg_destroy(f);
		return err;
	}
	return 0;
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len)
{
	size_t nlen = strlen(name);
	uint16_t key;
	int err;

	if (nlen == 0 || nlen >= FWCFG_NAME_LEN)
		return -EINVAL;
	if (f->nr_files == FWCFG_MAX_FILES)
		return -ENOSPC;
	for (int i = 0; i < f->nr_items; i++)
		if (f->items[i].key >= FWCFG_FILE_FIRST && strcmp(f->items[i].name, name) == 0)
			return -EEXIST;
	key = (uint16_t)(FWCFG_FILE_FIRST + f->nr_files);
	err = fwcfg_add_item(f, key, data, len);
	if (err)
		return err;
	memcpy(f->items[f->nr_items - 1].name, name, nlen + 1);
	f->nr_files++;
	err = fwcfg_build_dir(f);
	if (err) {
		free(f->items[--f->nr_items].data);
		f->nr_files--;
		return err;
	}
	return key;
}

void fwcfg_destroy(struct fwcfg *f)
{
	for (int i = 0; i < f->nr_items; i++)
		free(f->items[i].data);
	f->nr_items = 0;
	pthread_mutex_destroy(&f->lock);
}

/* Only byte reads of the data port mean something; the rest reads all-ones. */
static void fwcfg_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct fwcfg *f = opaque;
	uint8_t *out = data;

	if (offset != 1 || len != 1) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&f->lock);
	*out = 0;
	if (f->cur >= 0 && f->pos < f->items[f->cur].len)
		*out = f->items[f->cur].data[f->pos++];
	pthread_mutex_unlock(&f->lock);
}

static void fwcfg_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct fwcfg *f = opaque;
	const uint8_t *in = data;
	uint16_t key;
	int cur = -1;

	if (offset != 0 || len != 2) {
		atomic_fetch_add(&f->ignored, 1);
		return;
	}
	key = (uint16_t)((in[0] | in[1] << 8) & ~FWCFG_WRITE_CHANNEL);
	for (int i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			cur = i;
	pthread_mutex_lock(&f->lock);
	f->cur = cur;
	f->pos = 0;
	pthread_mutex_unlock(&f->lock);
}

const struct bus_ops fwcfg_ops = {
	.name = "fw_cfg",
	.read = fwcfg_read,
	.write = fwcfg_write,
};
