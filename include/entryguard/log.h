/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for entryguard's programs (never its library code, which returns
 * errors instead).  Engines swallow a hook's stderr, so every line also goes
 * to syslog; stderr gets it too for a person running the program by hand.
 * One line per event, prefixed with the program's name.
 */
#ifndef ENTRYGUARD_LOG_H
#define ENTRYGUARD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* ident: "entryguard-hook", "entryguard-monitor"; the syslog facility is
 * LOG_DAEMON.  to_stderr: also print each line on stderr. */
void eg_log_open(const char *ident, bool to_stderr);
/* Stop writing to stderr (a detached monitor's stderr is /dev/null). */
void eg_log_stderr(bool enabled);
void eg_log(int priority, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define eg_log_error(...)   eg_log(LOG_ERR, __VA_ARGS__)
#define eg_log_warning(...) eg_log(LOG_WARNING, __VA_ARGS__)
#define eg_log_info(...)    eg_log(LOG_INFO, __VA_ARGS__)
#define eg_log_debug(...)   eg_log(LOG_DEBUG, __VA_ARGS__)

#endif
