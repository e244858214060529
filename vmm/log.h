/*
 * log.h - the VMM's messages on stderr.
 *
 * Library code reports what went wrong with log_error() and returns
 * -errno; only main() decides to exit. log_info() is silenced by --quiet,
 * log_debug() needs --verbose.
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_QUIET = 0, /* errors only */
	LOG_NORMAL = 1,
	LOG_VERBOSE = 2,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
