/*
 * vm_run.c - running the VM: starting the vCPU threads, and the main
 * thread's loop until the VM stops. The loop takes SIGINT and SIGTERM
 * through a signalfd, feeds stdin to the UART (holding back what it cannot
 * take yet, so nothing typed is lost), and runs the progress watchdog.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/log.h"
#include "vmm/vm.h"

static struct termios vm_saved_tty;
static bool vm_tty_raw;

/* Console input without line editing or echo; ^C still raises SIGINT. */
static void vm_tty_enter_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &vm_saved_tty))
		return;
	t = vm_saved_tty;
	t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		vm_tty_raw = true;
}

static void vm_tty_restore(void)
{
	if (vm_tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &vm_saved_tty);
	vm_tty_raw = false;
}

int vm_start(struct vm *vm)
{
	sigset_t set;
	int ret;

	/* SIGINT/SIGTERM reach only the main loop's signalfd: block them in every thread */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ret = vcpu_setup_boot(&vm->vcpus[0]);
	if (ret)
		return ret;
	vm->start_ns = vm_now_ns();
	for (int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_start(&vm->vcpus[i]);
		if (ret) {
			vm_request_stop(vm, VM_EXIT_HOST_ERROR);
			return ret;
		}
	}
	return 0;
}

/* Kick every vCPU that has been inside KVM_RUN for longer than period_ns. */
static void vm_watchdog_tick(struct vm *vm, uint64_t period_ns)
{
	uint64_t now = vm_now_ns();

	for (int i = 0; i < vm->nr_vcpus; i++) {
		uint64_t since = atomic_load(&vm->vcpus[i].in_run_since);

		if (since && now - since >= period_ns)
			vcpu_kick(&vm->vcpus[i], VCPU_KICK_WATCHDOG);
	}
}

struct vm_input {
	uint8_t buf[4096];
	size_t off, len;
	bool eof;
};

/* Hand pending console input to the UART; read more from stdin when all was taken. */
static void vm_feed_input(struct vm *vm, struct vm_input *in, bool readable)
{
	ssize_t n;

	if (in->off == in->len && readable && !in->eof) {
		n = fcntl(STDIN_FILENO, F_GETFD) < 0 ? 0 : read(STDIN_FILENO, in->buf, sizeof(in->buf));
		if (n > 0) {
			in->off = 0;
			in->len = (size_t)n;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			in->eof = true;
		}
	}
	if (in->off < in->len)
		in->off += uart_receive(&vm->uart, in->buf + in->off, in->len - in->off);
}

int vm_wait(struct vm *vm)
{
	struct vm_input in = { .eof = false };
	uint64_t period_ns = (uint64_t)(vm->cfg->watchdog_s * 1e9 / 2);
	int timeout_ms = period_ns ? (int)(period_ns / 1000000) : -1;
	struct signalfd_siginfo si;
	struct pollfd pfd[4];
	sigset_t set;
	int sfd;

	if (timeout_ms == 0 && period_ns)
		timeout_ms = 1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		vm_request_stop(vm, VM_EXIT_HOST_ERROR);
	}
	vm_tty_enter_raw();

	while (!atomic_load(&vm->stopping)) {
		int n;

		pfd[0] = (struct pollfd){ .fd = vm->stop_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = vm->rx_fd, .events = POLLIN };
		/* read stdin only once the UART took everything read before */
		pfd[3] = (struct pollfd){ .fd = (in.eof || in.off < in.len) ? -1 : STDIN_FILENO,
					  .events = POLLIN };
		n = poll(pfd, 4, timeout_ms);
		if (n < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			vm_request_stop(vm, VM_EXIT_HOST_ERROR);
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			log_info("%s: stopping the guest", strsignal((int)si.ssi_signo));
			vm_request_stop(vm, si.ssi_signo == SIGINT ? VM_EXIT_SIGINT : VM_EXIT_SIGTERM);
			break;
		}
		if (n > 0 && (pfd[2].revents & POLLIN)) {
			uint64_t v;

			if (read(vm->rx_fd, &v, sizeof(v)) < 0) {
				/* nothing pending: a spurious wake-up */
			}
		}
		if (n > 0 && (pfd[3].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
			vm_feed_input(vm, &in, true);
		else if (in.off < in.len)
			vm_feed_input(vm, &in, false);
		if (period_ns)
			vm_watchdog_tick(vm, period_ns);
		uart_flush(&vm->uart); /* a prompt without a newline still reaches a pipe */
	}

	for (int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	vm_tty_restore();
	if (sfd >= 0)
		close(sfd);
	uart_flush(&vm->uart);
	return vm->exit_status;
}
