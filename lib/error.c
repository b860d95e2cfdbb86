/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "entryguard/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int normalise_code(int code)
{
	if (code < 0)
		code = -code;
	return code == 0 ? EIO : code;
}

/* Appends text at buffer[used], cutting it at the buffer's end (a long
 * message is cut, never overflowed); returns the new length. */
static size_t append_cut(char *buffer, size_t size, size_t used, const char *text)
{
	size_t length = strlen(text);

	if (length > size - 1 - used)
		length = size - 1 - used;
	memcpy(buffer + used, text, length);
	buffer[used + length] = '\0';
	return used + length;
}

int eg_error_set(struct eg_error *err, int code, const char *format, ...)
{
	code = normalise_code(code);
	if (err) {
		va_list arguments;
		va_start(arguments, format);
		vsnprintf(err->message, sizeof(err->message), format, arguments);
		va_end(arguments);
		err->code = code;
	}
	return -code;
}

int eg_error_set_errno(struct eg_error *err, int code, const char *format, ...)
{
	code = normalise_code(code);
	if (err) {
		va_list arguments;
		size_t used;
		va_start(arguments, format);
		vsnprintf(err->message, sizeof(err->message), format, arguments);
		va_end(arguments);
		used = strlen(err->message);
		snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(code));
		err->code = code;
	}
	return -code;
}

int eg_error_prefix(struct eg_error *err, int result, const char *format, ...)
{
	char prefix[EG_ERROR_MESSAGE_MAX];
	char joined[EG_ERROR_MESSAGE_MAX];
	size_t used;
	va_list arguments;

	if (!err)
		return result;
	va_start(arguments, format);
	vsnprintf(prefix, sizeof(prefix), format, arguments);
	va_end(arguments);
	used = append_cut(joined, sizeof(joined), 0, prefix);
	used = append_cut(joined, sizeof(joined), used, ": ");
	append_cut(joined, sizeof(joined), used, err->message);
	memcpy(err->message, joined, sizeof(joined));
	if (err->code == 0)
		err->code = normalise_code(result);
	return result;
}

const char *eg_quote(const char *text, size_t keep, char *buffer, size_t size)
{
	size_t used = 0, taken = 0;

	buffer[used++] = '"';
	for (; text[taken] && used + 8 < size; taken++) {
		unsigned char byte = (unsigned char)text[taken];

		if (taken >= keep && (byte & 0xc0) != 0x80) {
			used += (size_t)snprintf(buffer + used, size - used, "...");
			break;
		}
		if (byte < 0x20 || byte == 0x7f)
			used += (size_t)snprintf(buffer + used, size - used, "\\x%02x", byte);
		else if (byte == '"' || byte == '\\')
			used += (size_t)snprintf(buffer + used, size - used, "\\%c", byte);
		else
			buffer[used++] = (char)byte;
	}
	buffer[used++] = '"';
	buffer[used] = '\0';
	return buffer;
}
