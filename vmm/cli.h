/*
 * cli.h - the command line, parsed into a vm_config without side effects
 * (no files opened, nothing exits), so unit tests drive it directly.
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/guest_mem.h"

#define CLI_MAX_MODULES 16
#define CLI_DEFAULT_MEM (256ULL << 20)
#define CLI_DEFAULT_WATCHDOG_S 2.0

struct cli_module {
	char *path;
	char *name; /* Multiboot module string; the path when not given */
};

struct vm_config {
	char *image;
	unsigned int cpus;
	uint64_t mem_size;
	enum guest_mem_backing backing;
	char *guest_args; /* from --cmdline or the words after "--"; never NULL */
	struct cli_module modules[CLI_MAX_MODULES];
	int nr_modules;
	char *console_path; /* NULL: stdout */
	bool json;
	int verbosity; /* 0 quiet, 1 normal, 2 verbose */
	bool debug_io;
	double watchdog_s; /* 0: off */
	bool exit_code_qemu;
	bool pit; /* create the in-kernel i8254 PIT (default) */
	char *kvm_path;
};

enum cli_outcome {
	CLI_RUN = 0,   /* run the VM with cfg */
	CLI_DONE = 1,  /* --help or --version was printed: exit 0 */
	CLI_USAGE = 2, /* bad usage, message printed: exit 2 */
};

/*
 * Parse argv into cfg (which the caller releases with cli_free). Help and
 * version go to out, errors to err as one line starting with "vmm: ".
 */
enum cli_outcome cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out, FILE *err);
void cli_free(struct vm_config *cfg);

/*
 * "256M", "4G", "512MiB", "1048576K"; a bare number means MiB (as QEMU's
 * -m). Returns 0 and the size in bytes, or -EINVAL / -ERANGE.
 */
int cli_parse_size(const char *s, uint64_t *bytes);

/* The Multiboot command line: image path, then the guest arguments. */
char *cli_guest_cmdline(const struct vm_config *cfg);

#endif
