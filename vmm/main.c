/*
 * main.c - vmm's entry point: parse the command line, then build, load,
 * run and tear down the VM in that explicit order. Only main() exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/layout.h"
#include "vmm/loader.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* A closed stdin/stdout/stderr would let /dev/kvm or guest RAM land on fd 0..2. */
static void main_ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
			exit(VM_EXIT_HOST_ERROR);
}

/* Read the image; a missing, unreadable, empty or huge file is a usage error. */
static int main_read_image(const char *path, void **data, size_t *size)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > LAYOUT_MAX_RAM) {
		log_error("%s: %s", path, st.st_size ? "image larger than any guest RAM" :
							"empty file, not a kernel image");
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		log_error("%s: %lld bytes: out of memory", path, (long long)st.st_size);
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			log_error("%s: %s", path, n < 0 ? strerror(errno) : "file shrank while read");
			free(buf);
			close(fd);
			return -EIO;
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}

/* Validate the image against the planned memory before touching KVM. */
static int main_check_image(const struct vm_config *cfg, const void *img, size_t size)
{
	struct guest_mem plan;
	struct boot_image bi;
	char err[512];

	if (guest_mem_plan(&plan, cfg->mem_size))
		return -EINVAL;
	if (loader_parse(img, size, &plan, &bi, err, sizeof(err))) {
		log_error("%s: %s", cfg->image, err);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	void *image = NULL;
	size_t image_size = 0;
	int status;

	main_ensure_std_fds();
	switch (cli_parse(argc, argv, &cfg, stdout, stderr)) {
	case CLI_RUN:
		break;
	case CLI_DONE:
		cli_free(&cfg);
		return 0;
	default:
		cli_free(&cfg);
		return VM_EXIT_USAGE;
	}
	log_set_level((enum log_level)cfg.verbosity);

	if (main_read_image(cfg.image, &image, &image_size) ||
	    main_check_image(&cfg, image, image_size)) {
		status = VM_EXIT_USAGE;
		goto out_free;
	}
	if (vm_create(&vm, &cfg)) {
		status = VM_EXIT_HOST_ERROR;
		goto out_destroy;
	}
	if (vm_load(&vm, image, image_size)) {
		status = VM_EXIT_USAGE;
		goto out_destroy;
	}
	free(image);
	image = NULL;
	if (vm_start(&vm)) {
		vm_wait(&vm);
		status = VM_EXIT_HOST_ERROR;
		goto out_destroy;
	}
	status = vm_wait(&vm);
	vm_print_stats(&vm, stdout);

out_destroy:
	vm_destroy(&vm);
out_free:
	free(image);
	cli_free(&cfg);
	return status;
}
