/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one error convention of entryguard.
 *
 * A function that can fail returns a negative errno value (0 or a positive
 * count on success) and, when the caller passes a `struct eg_error *`, fills
 * it with one human-readable line that names the input and what was wrong.
 * Callers add context on the way up with eg_error_prefix():
 *
 *     r = eg_config_load(path, &config, err);
 *     if (r < 0)
 *         return eg_error_prefix(err, r, "%s", path);
 *
 * which turns "window_ms: expected a positive integer, got \"abc\"" into
 * "/etc/entryguard/entryguard.json: window_ms: expected ...".
 *
 * Library code never logs; the program's top layer logs err->message once.
 * The message lives in a fixed buffer so that reporting an error can itself
 * never fail or allocate.  Output parameters are named ret_* and are left
 * untouched when a function fails.
 */
#ifndef ENTRYGUARD_ERROR_H
#define ENTRYGUARD_ERROR_H

#include <errno.h>
#include <stddef.h>

#define EG_ERROR_MESSAGE_MAX 512

struct eg_error {
	int code; /* positive errno */
	char message[EG_ERROR_MESSAGE_MAX];
};

/* Sets err (when not NULL) and returns -code, so that callers can write
 * `return eg_error_set(err, EINVAL, "...")`.  A code of 0 is taken as EIO:
 * an error must never look like success. */
int eg_error_set(struct eg_error *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* As eg_error_set(), with ": <strerror(code)>" appended. */
int eg_error_set_errno(struct eg_error *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<context>: " in front of the message already in err and returns
 * `result` (a negative errno) unchanged. */
int eg_error_prefix(struct eg_error *err, int result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Untrusted text as an error message shows it, so that it can never break
 * the one-line rule or forge a log line: in double quotes, control bytes as
 * \xNN, quotes and backslashes escaped, cut after `keep` bytes (never inside
 * a UTF-8 sequence) with "...".  size must be at least 4 * keep + 8. */
const char *eg_quote(const char *text, size_t keep, char *buffer, size_t size);

static inline void eg_error_clear(struct eg_error *err)
{
	if (err) {
		err->code = 0;
		err->message[0] = '\0';
	}
}

#endif
