/* Command-line parsing: every flag, and the errors a user sees. */
#include <stdlib.h>

#include "tests/unit/unit.h"
#include "vmm/cli.h"

static char errbuf[4096];

/* Parse a NULL-terminated word list; errors land in errbuf. */
static enum cli_outcome parse(struct vm_config *cfg, const char *const *words)
{
	char *argv[64];
	int argc = 0;
	FILE *out = fopen("/dev/null", "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	enum cli_outcome r;

	argv[argc++] = (char *)"vmm";
	while (*words)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	memset(errbuf, 0, sizeof(errbuf));
	r = cli_parse(argc, argv, cfg, out, err);
	fclose(err);
	fclose(out);
	return r;
}

static void test_defaults(void)
{
	struct vm_config cfg;
	const char *w[] = { "guest.bin", NULL };
	char *cmdline;

	CHECK_EQ(parse(&cfg, w), CLI_RUN);
	CHECK_STR(cfg.image, "guest.bin");
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.mem_size, 256ULL << 20);
	CHECK_EQ(cfg.backing, GUEST_MEM_ANON);
	CHECK_STR(cfg.guest_args, "");
	CHECK_STR(cfg.kvm_path, "/dev/kvm");
	CHECK(cfg.watchdog_s == CLI_DEFAULT_WATCHDOG_S);
	CHECK_EQ(cfg.verbosity, 1);
	CHECK(cfg.pit);
	cmdline = cli_guest_cmdline(&cfg);
	CHECK_STR(cmdline, "guest.bin");
	free(cmdline);
	cli_free(&cfg);
}

static void test_all_flags(void)
{
	struct vm_config cfg;
	const char *w[] = { "--cpus", "4", "--mem=5G", "--mem-backing", "memfd", "--module",
			    "a.dtb,dtb", "-M", "initrd", "--console", "out.txt", "--json",
			    "--quiet", "--debug-io", "--watchdog", "0.5", "--exit-code", "qemu",
			    "--kvm-device", "/dev/null", "--no-pit", "guest.bin", NULL };

	CHECK_EQ(parse(&cfg, w), CLI_RUN);
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(cfg.mem_size, 5ULL << 30);
	CHECK_EQ(cfg.backing, GUEST_MEM_MEMFD);
	CHECK_EQ(cfg.nr_modules, 2);
	CHECK_STR(cfg.modules[0].path, "a.dtb");
	CHECK_STR(cfg.modules[0].name, "dtb");
	CHECK_STR(cfg.modules[1].path, "initrd");
	CHECK_STR(cfg.modules[1].name, "initrd");
	CHECK_STR(cfg.console_path, "out.txt");
	CHECK(cfg.json);
	CHECK_EQ(cfg.verbosity, 0);
	CHECK(cfg.debug_io);
	CHECK(cfg.watchdog_s == 0.5);
	CHECK(cfg.exit_code_qemu);
	CHECK_STR(cfg.kvm_path, "/dev/null");
	CHECK(!cfg.pit);
	cli_free(&cfg);
}

static void test_guest_args(void)
{
	struct vm_config cfg;
	const char *w1[] = { "guest.bin", "--", "tests=paging,smp", "--json", NULL };
	const char *w2[] = { "--cmdline", "tests=hello", "guest.bin", NULL };
	const char *w3[] = { "--cmdline", "x", "guest.bin", "--", "y", NULL };
	const char *w4[] = { "guest.bin", "-v", NULL }; /* options may follow IMAGE */
	char *cmdline;

	CHECK_EQ(parse(&cfg, w1), CLI_RUN);
	CHECK_STR(cfg.guest_args, "tests=paging,smp --json");
	CHECK(!cfg.json); /* words after -- are the guest's */
	cmdline = cli_guest_cmdline(&cfg);
	CHECK_STR(cmdline, "guest.bin tests=paging,smp --json");
	free(cmdline);
	cli_free(&cfg);

	CHECK_EQ(parse(&cfg, w2), CLI_RUN);
	CHECK_STR(cfg.guest_args, "tests=hello");
	cli_free(&cfg);

	CHECK_EQ(parse(&cfg, w3), CLI_USAGE);
	CHECK(strstr(errbuf, "not both") != NULL);
	cli_free(&cfg);

	CHECK_EQ(parse(&cfg, w4), CLI_RUN);
	CHECK_EQ(cfg.verbosity, 2);
	cli_free(&cfg);
}

static void test_errors(void)
{
	static const struct {
		const char *w[6];
		const char *msg;
	} cases[] = {
		{ { NULL }, "no IMAGE given" },
		{ { "--cpus", "0", "g", NULL }, "--cpus '0'" },
		{ { "--cpus", "65", "g", NULL }, "--cpus '65'" },
		{ { "--cpus", "2x", "g", NULL }, "--cpus '2x'" },
		{ { "--mem", "12Q", "g", NULL }, "--mem '12Q'" },
		{ { "--mem", "8M", "g", NULL }, "at least 16M" },
		{ { "--mem", "2T", "g", NULL }, "at most 1T" },
		{ { "--mem", "257M", "g", NULL }, "multiple of 2M" },
		{ { "--mem", "99999999999999999999G", "g", NULL }, "--mem" },
		{ { "--mem-backing", "tmpfs", "g", NULL }, "--mem-backing 'tmpfs'" },
		{ { "--watchdog", "-1", "g", NULL }, "--watchdog '-1'" },
		{ { "--watchdog", "nan", "g", NULL }, "--watchdog 'nan'" },
		{ { "--exit-code", "bochs", "g", NULL }, "--exit-code 'bochs'" },
		{ { "--frobnicate", "g", NULL }, "unknown option --frobnicate" },
		{ { "-x", "g", NULL }, "unknown option -x" },
		{ { "g", "--cpus", NULL }, "option --cpus needs a value" },
		{ { "g", "h", NULL }, "unexpected 'h' after IMAGE" },
		{ { "--module", ",x", "g", NULL }, "empty file name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;

		CHECK_EQ(parse(&cfg, cases[i].w), CLI_USAGE);
		if (!strstr(errbuf, cases[i].msg)) {
			fprintf(stderr, "case %zu: expected '%s' in: %s", i, cases[i].msg, errbuf);
			unit_cur_failed++;
		}
		CHECK(strncmp(errbuf, "vmm: ", 5) == 0);
		cli_free(&cfg);
	}
}

static void test_help_version(void)
{
	struct vm_config cfg;
	const char *h[] = { "--help", NULL };
	const char *v[] = { "--version", NULL };

	CHECK_EQ(parse(&cfg, h), CLI_DONE);
	cli_free(&cfg);
	CHECK_EQ(parse(&cfg, v), CLI_DONE);
	cli_free(&cfg);
}

static void test_sizes(void)
{
	uint64_t b = 0;

	CHECK_EQ(cli_parse_size("256", &b), 0);
	CHECK_EQ(b, 256ULL << 20);
	CHECK_EQ(cli_parse_size("4G", &b), 0);
	CHECK_EQ(b, 4ULL << 30);
	CHECK_EQ(cli_parse_size("512MiB", &b), 0);
	CHECK_EQ(b, 512ULL << 20);
	CHECK_EQ(cli_parse_size("1048576k", &b), 0);
	CHECK_EQ(b, 1ULL << 30);
	CHECK_EQ(cli_parse_size("1T", &b), 0);
	CHECK_EQ(b, 1ULL << 40);
	CHECK(cli_parse_size("", &b) < 0);
	CHECK(cli_parse_size("-1G", &b) < 0);
	CHECK(cli_parse_size("G", &b) < 0);
	CHECK(cli_parse_size("1Gx", &b) < 0);
	CHECK(cli_parse_size("17179869184T", &b) < 0); /* 2^34 T overflows */
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_all_flags);
	RUN(test_guest_args);
	RUN(test_errors);
	RUN(test_help_version);
	RUN(test_sizes);
	return unit_done();
}
