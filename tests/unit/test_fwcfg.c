/* test_fwcfg.c - fw_cfg's legacy interface: selector, data bytes, items, file directory. */
#include <errno.h>

#include "devices/fwcfg.h"
#include "tests/unit/unit.h"

static void sel(struct fwcfg *f, uint16_t key)
{
	uint8_t b[2] = { (uint8_t)key, (uint8_t)(key >> 8) };

	fwcfg_ops.write(f, 0, b, 2);
}

static void get(struct fwcfg *f, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		fwcfg_ops.read(f, 1, &p[i], 1);
}

static uint64_t get_le(struct fwcfg *f, int bytes)
{
	uint8_t b[8];
	uint64_t v = 0;

	get(f, b, (size_t)bytes);
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t get_be(struct fwcfg *f, int bytes)
{
	uint8_t b[8];
	uint64_t v = 0;

	get(f, b, (size_t)bytes);
	for (int i = 0; i < bytes; i++)
		v = v << 8 | b[i];
	return v;
}

static void test_fixed_items(void)
{
	struct fwcfg f;
	char sig[5] = { 0 };

	CHECK_EQ(fwcfg_init(&f, 0x123456789ULL, 2, 8), 0);
	sel(&f, FWCFG_SIGNATURE);
	get(&f, sig, 4);
	CHECK_STR(sig, "QEMU");
	CHECK_EQ(get_le(&f, 4), 0); /* past the end */

	sel(&f, FWCFG_ID);
	CHECK_EQ(get_le(&f, 4), 1);
	sel(&f, FWCFG_RAM_SIZE);
	CHECK_EQ(get_le(&f, 8), 0x123456789ULL);
	sel(&f, FWCFG_NB_CPUS);
	CHECK_EQ(get_le(&f, 2), 2);
	sel(&f, FWCFG_MAX_CPUS);
	CHECK_EQ(get_le(&f, 2), 8);
	sel(&f, FWCFG_FILE_DIR);
	CHECK_EQ(get_be(&f, 4), 0);

	/* Reselecting rewinds; the write-channel bit is ignored. */
	sel(&f, FWCFG_SIGNATURE);
	get(&f, sig, 2);
	sel(&f, 0x4000 | FWCFG_SIGNATURE);
	get(&f, sig, 4);
	CHECK_STR(sig, "QEMU");

	/* Unknown and arch-local keys read zeros. */
	sel(&f, 0x1234);
	CHECK_EQ(get_le(&f, 8), 0);
	sel(&f, 0x8000);
	CHECK_EQ(get_le(&f, 4), 0);
	fwcfg_destroy(&f);

	CHECK_EQ(fwcfg_init(&f, 1 << 20, 0, 1), -EINVAL);
	CHECK_EQ(fwcfg_init(&f, 1 << 20, 4, 2), -EINVAL);
}

static void test_other_accesses(void)
{
	struct fwcfg f;
	uint8_t b = 0;
	uint16_t w = 0;

	CHECK_EQ(fwcfg_init(&f, 64 << 20, 1, 1), 0);
	sel(&f, FWCFG_SIGNATURE);
	/* A byte write to the selector or the data port changes nothing. */
	b = 0x03;
	fwcfg_ops.write(&f, 0, &b, 1);
	fwcfg_ops.write(&f, 1, &b, 1);
	CHECK_EQ(atomic_load(&f.ignored), 2);
	fwcfg_ops.read(&f, 0, &w, 2);
	CHECK_EQ(w, 0xffff);
	fwcfg_ops.read(&f, 0, &b, 1);
	CHECK_EQ(b, 0xff);
	CHECK_EQ(get_le(&f, 1), 'Q'); /* position untouched by the above */
	fwcfg_destroy(&f);
}

static void test_files(void)
{
	struct fwcfg f;
	char name[FWCFG_NAME_LEN + 1];
	char data[16];
	int k1, k2;

	CHECK_EQ(fwcfg_init(&f, 64 << 20, 1, 1), 0);
	k1 = fwcfg_add_file(&f, "opt/zeta", "hello", 5);
	k2 = fwcfg_add_file(&f, "etc/alpha", "", 0);
	CHECK_EQ(k1, FWCFG_FILE_FIRST);
	CHECK_EQ(k2, FWCFG_FILE_FIRST + 1);
	CHECK_EQ(fwcfg_add_file(&f, "opt/zeta", "x", 1), -EEXIST);
	CHECK_EQ(fwcfg_add_file(&f, "", "x", 1), -EINVAL);
	memset(name, 'n', FWCFG_NAME_LEN);
	name[FWCFG_NAME_LEN] = '\0';
	CHECK_EQ(fwcfg_add_file(&f, name, "x", 1), -EINVAL);
	name[FWCFG_NAME_LEN - 1] = '\0'; /* 55 characters fit */
	CHECK_EQ(fwcfg_add_file(&f, name, "x", 1), FWCFG_FILE_FIRST + 2);

	sel(&f, FWCFG_FILE_DIR);
	CHECK_EQ(get_be(&f, 4), 3);
	/* Sorted by name: etc/alpha, nnn..., opt/zeta. */
	CHECK_EQ(get_be(&f, 4), 0);
	CHECK_EQ(get_be(&f, 2), k2);
	CHECK_EQ(get_be(&f, 2), 0);
	get(&f, name, FWCFG_NAME_LEN);
	CHECK_STR(name, "etc/alpha");
	CHECK_EQ(get_be(&f, 4), 1);
	CHECK_EQ(get_be(&f, 2), FWCFG_FILE_FIRST + 2);
	get_be(&f, 2);
	get(&f, name, FWCFG_NAME_LEN);
	CHECK_EQ(strlen(name), FWCFG_NAME_LEN - 1);
	CHECK_EQ(get_be(&f, 4), 5);
	CHECK_EQ(get_be(&f, 2), k1);
	get_be(&f, 2);
	get(&f, name, FWCFG_NAME_LEN);
	CHECK_STR(name, "opt/zeta");
	CHECK_EQ(get_le(&f, 1), 0); /* end of the directory */

	sel(&f, (uint16_t)k1);
	memset(data, 0, sizeof(data));
	get(&f, data, 6);
	CHECK_STR(data, "hello");

	for (int i = 3; i < FWCFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK(fwcfg_add_file(&f, name, "y", 1) > 0);
	}
	CHECK_EQ(fwcfg_add_file(&f, "one-too-many", "y", 1), -ENOSPC);
	fwcfg_destroy(&f);
}

int main(void)
{
	RUN(test_fixed_items);
	RUN(test_other_accesses);
	RUN(test_files);
	return unit_done();
}
