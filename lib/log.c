/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "entryguard/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *log_ident = "entryguard";
static bool log_to_stderr = true;
static bool log_debug = false;

void eg_log_open(const char *ident, bool to_stderr)
{
	const char *level = getenv("ENTRYGUARD_LOG_LEVEL");

	log_ident = ident;
	log_to_stderr = to_stderr;
	log_debug = level && level[0] == 'd';
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	syslog(priority, "%s", line);
	if (log_to_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, line);
}
