/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "entryguard/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "entryguard";
static bool log_to_stderr = true;
static bool log_debug = false;
static int log_file_fd = -1;

void eg_log_open(const char *ident, bool to_stderr)
{
	const char *level = getenv("ENTRYGUARD_LOG_LEVEL");

	log_ident = ident;
	log_to_stderr = to_stderr;
	const char *file = getenv("ENTRYGUARD_LOG_FILE");

	log_debug = level && level[0] == 'd';
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* Where no syslog daemon listens (containers, CI), a file keeps what the
	 * engine would swallow.  Opened once: a hook that gave its monitor the
	 * same variable gets one fd each, O_APPEND keeps lines whole. */
	if (file && file[0] == '/')
		log_file_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void eg_log_stderr(bool enabled)
{
	log_to_stderr = enabled;
}

void eg_log(int priority, const char *format, ...)
{
	char line[1024];
	va_list arguments;

	if (priority == LOG_DEBUG && !log_debug)
		return;
	va_start(arguments, format);
	vsnprintf(line, sizeof(line), format, arguments);
	va_end(arguments);
	/* One event, one line: text a container controls (an annotation, a
	 * process name) must not be able to forge further log lines. */
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	syslog(priority, "%s", line);
	if (log_file_fd >= 0) {
		char record[1200];
		struct timespec now;
		int length;

		clock_gettime(CLOCK_REALTIME, &now);
		length = snprintf(record, sizeof(record), "%lld.%06ld %s[%d]: %s\n",
		                  (long long)now.tv_sec, now.tv_nsec / 1000, log_ident,
		                  (int)getpid(), line);
		if (length > 0 && write(log_file_fd, record, strnlen(record, sizeof(record))) < 0)
			log_file_fd = -1;
	}
	if (log_to_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, line);
}
