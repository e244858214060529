#include "vmm/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/version.h"

enum {
	OPT_MEM_BACKING = 0x100,
	OPT_DEBUG_IO,
	OPT_WATCHDOG,
	OPT_EXIT_CODE,
	OPT_KVM_DEVICE,
	OPT_NO_PIT,
};

static const struct option cli_options[] = {
	{ "cpus", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "mem-backing", required_argument, NULL, OPT_MEM_BACKING },
	{ "cmdline", required_argument, NULL, 'a' },
	{ "module", required_argument, NULL, 'M' },
	{ "console", required_argument, NULL, 'C' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug-io", no_argument, NULL, OPT_DEBUG_IO },
	{ "watchdog", required_argument, NULL, OPT_WATCHDOG },
	{ "exit-code", required_argument, NULL, OPT_EXIT_CODE },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "no-pit", no_argument, NULL, OPT_NO_PIT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm [OPTIONS] IMAGE [-- GUEST-ARGS...]\n"
		"Boot IMAGE (a Multiboot v1 or ELF64 kernel) in a KVM virtual machine.\n"
		"\n"
		"  -c, --cpus N             vCPUs, 1..%d (default 1)\n"
		"  -m, --mem SIZE           guest RAM: 256M, 4G, 512MiB; a bare number is MiB\n"
		"                           (default 256M)\n"
		"      --mem-backing KIND   anon (default), memfd or hugetlb\n"
		"  -a, --cmdline STR        guest arguments (or the words after --)\n"
		"  -M, --module FILE[,NAME] load FILE as a Multiboot module named NAME\n"
		"                           (default: the path); repeatable, up to %d\n"
		"  -C, --console FILE       write the guest console to FILE (default stdout)\n"
		"  -j, --json               results and statistics as JSON lines on stdout\n"
		"  -q, --quiet              only errors from vmm itself\n"
		"  -v, --verbose            more about the host and the VM\n"
		"      --debug-io           log each unclaimed I/O port or MMIO address once\n"
		"      --watchdog SECONDS   stop a vCPU that makes no progress for this long\n"
		"                           (default %.0f; 0 turns it off)\n"
		"      --exit-code native|qemu\n"
		"                           exit with the value the guest wrote to port 0xf4\n"
		"                           (native, default) or QEMU's (value << 1) | 1\n"
		"      --no-pit             no i8254 PIT: for guests that use only the LAPIC\n"
		"                           timer; saves ~15 ms of KVM teardown on this host\n"
		"      --kvm-device PATH    KVM device (default /dev/kvm)\n"
		"  -h, --help               this help\n"
		"  -V, --version            version\n"
		"\n"
		"Exit status: the guest's exit-port value; 1 host or KVM error; 2 bad usage or\n"
		"image; 3 fatal guest state (triple fault, KVM internal error, no progress);\n"
		"130 / 143 stopped by SIGINT / SIGTERM.\n",
		LAYOUT_MAX_CPUS, CLI_MAX_MODULES, CLI_DEFAULT_WATCHDOG_S);
}

int cli_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long n;
	uint64_t shift = 20;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end && strcmp(end, "iB") != 0 && strcmp(end, "B") != 0)
		return -EINVAL;
	if (n > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)n << shift;
	return 0;
}

__attribute__((format(printf, 2, 3))) static int cli_err(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "vmm: ");
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, " (see vmm --help)\n");
	return CLI_USAGE;
}

static int cli_parse_module(struct vm_config *cfg, const char *arg, FILE *err)
{
	struct cli_module *m;
	const char *comma;

	if (cfg->nr_modules >= CLI_MAX_MODULES)
		return cli_err(err, "too many --module options: at most %d (%s)", CLI_MAX_MODULES, arg);
	m = &cfg->modules[cfg->nr_modules];
	comma = strchr(arg, ',');
	if (comma) {
		m->path = strndup(arg, (size_t)(comma - arg));
		m->name = strdup(comma + 1);
	} else {
		m->path = strdup(arg);
		m->name = strdup(arg);
	}
	if (!m->path || !m->name) {
		free(m->path);
		free(m->name);
		return cli_err(err, "out of memory parsing --module %s", arg);
	}
	cfg->nr_modules++;
	if (!m->path[0])
		return cli_err(err, "--module '%s': empty file name", arg);
	return CLI_RUN;
}

/* Join argv[first..argc) with single spaces. */
static char *cli_join(int argc, char **argv, int first)
{
	size_t len = 1;
	char *s;

	for (int i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = first; i < argc; i++) {
		if (i > first)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int cli_parse_one(struct vm_config *cfg, int opt, const char *arg, FILE *out, FILE *err)
{
	char *end;
	long n;
	double d;

	switch (opt) {
	case 'c':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || end == arg || n < 1 || n > LAYOUT_MAX_CPUS)
			return cli_err(err, "--cpus '%s': give a number from 1 to 64", arg);
		cfg->cpus = (unsigned int)n;
		return CLI_RUN;
	case 'm':
		if (cli_parse_size(arg, &cfg->mem_size))
			return cli_err(err, "--mem '%s': give a size such as 256M or 4G", arg);
		if (cfg->mem_size < LAYOUT_MIN_RAM)
			return cli_err(err, "--mem %s: at least 16M of RAM is needed", arg);
		if (cfg->mem_size > LAYOUT_MAX_RAM)
			return cli_err(err, "--mem %s: at most 1T of RAM is supported", arg);
		if (cfg->mem_size % (2 * LAYOUT_MiB))
			return cli_err(err, "--mem %s: give a multiple of 2M", arg);
		return CLI_RUN;
	case OPT_MEM_BACKING:
		if (!strcmp(arg, "anon"))
			cfg->backing = GUEST_MEM_ANON;
		else if (!strcmp(arg, "memfd"))
			cfg->backing = GUEST_MEM_MEMFD;
		else if (!strcmp(arg, "hugetlb"))
			cfg->backing = GUEST_MEM_HUGETLB;
		else
			return cli_err(err, "--mem-backing '%s': give anon, memfd or hugetlb", arg);
		return CLI_RUN;
	case 'a':
		free(cfg->guest_args);
		cfg->guest_args = strdup(arg);
		return cfg->guest_args ? CLI_RUN : cli_err(err, "out of memory (%s)", arg);
	case 'M':
		return cli_parse_module(cfg, arg, err);
	case 'C':
		free(cfg->console_path);
		cfg->console_path = strdup(arg);
		return CLI_RUN;
	case 'j':
		cfg->json = true;
		return CLI_RUN;
	case 'q':
		cfg->verbosity = 0;
		return CLI_RUN;
	case 'v':
		cfg->verbosity = 2;
		return CLI_RUN;
	case OPT_DEBUG_IO:
		cfg->debug_io = true;
		return CLI_RUN;
	case OPT_WATCHDOG:
		errno = 0;
		d = strtod(arg, &end);
		if (errno || *end || end == arg || !isfinite(d) || d < 0 || d > 86400)
			return cli_err(err, "--watchdog '%s': give seconds from 0 (off) to 86400", arg);
		cfg->watchdog_s = d;
		return CLI_RUN;
	case OPT_EXIT_CODE:
		if (!strcmp(arg, "qemu"))
			cfg->exit_code_qemu = true;
		else if (!strcmp(arg, "native"))
			cfg->exit_code_qemu = false;
		else
			return cli_err(err, "--exit-code '%s': give native or qemu", arg);
		return CLI_RUN;
	case OPT_NO_PIT:
		cfg->pit = false;
		return CLI_RUN;
	case OPT_KVM_DEVICE:
		free(cfg->kvm_path);
		cfg->kvm_path = strdup(arg);
		return CLI_RUN;
	case 'h':
		cli_usage(out);
		return CLI_DONE;
	case 'V':
		fprintf(out, "vmm %s\n", VMM_VERSION);
		return CLI_DONE;
	default:
		return CLI_USAGE;
	}
}

enum cli_outcome cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out, FILE *err)
{
	int opt, ret, dash;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = CLI_DEFAULT_MEM;
	cfg->backing = GUEST_MEM_ANON;
	cfg->verbosity = 1;
	cfg->watchdog_s = CLI_DEFAULT_WATCHDOG_S;
	cfg->pit = true;

	/* Words after "--" belong to the guest: getopt never sees them. */
	for (dash = 1; dash < argc; dash++)
		if (!strcmp(argv[dash], "--"))
			break;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(dash, argv, ":c:m:a:M:C:jqvhV", cli_options, NULL)) != -1) {
		if (opt == ':')
			return cli_err(err, "option %s needs a value", argv[optind - 1]);
		if (opt == '?') {
			char s[3] = { '-', (char)optopt, 0 };

			return cli_err(err, "unknown option %s",
				       optopt ? s : argv[optind - 1]);
		}
		ret = cli_parse_one(cfg, opt, optarg, out, err);
		if (ret != CLI_RUN)
			return ret;
	}
	if (optind >= dash)
		return cli_err(err, "%s", "no IMAGE given: vmm [OPTIONS] IMAGE [-- GUEST-ARGS]");
	if (optind + 1 < dash)
		return cli_err(err, "unexpected '%s' after IMAGE: put guest arguments after --",
			       argv[optind + 1]);
	cfg->image = strdup(argv[optind]);
	if (dash < argc) {
		if (cfg->guest_args)
			return cli_err(err, "%s", "give guest arguments with --cmdline or after --, "
				       "not both");
		cfg->guest_args = cli_join(argc, argv, dash + 1);
	}
	if (!cfg->guest_args)
		cfg->guest_args = strdup("");
	if (!cfg->kvm_path)
		cfg->kvm_path = strdup("/dev/kvm");
	if (!cfg->image || !cfg->guest_args || !cfg->kvm_path)
		return cli_err(err, "%s", "out of memory");
	return CLI_RUN;
}

void cli_free(struct vm_config *cfg)
{
	for (int i = 0; i < cfg->nr_modules; i++) {
		free(cfg->modules[i].path);
		free(cfg->modules[i].name);
	}
	free(cfg->image);
	free(cfg->guest_args);
	free(cfg->console_path);
	free(cfg->kvm_path);
	memset(cfg, 0, sizeof(*cfg));
}

char *cli_guest_cmdline(const struct vm_config *cfg)
{
	char *s;

	if (asprintf(&s, "%s%s%s", cfg->image, cfg->guest_args[0] ? " " : "", cfg->guest_args) < 0)
		return NULL;
	return s;
}
