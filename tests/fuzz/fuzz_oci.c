/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer targets for the OCI parsers.  One source, built three times with
 * FUZZ_TARGET set to the parser under test, so each target has its own corpus
 * and coverage.  The contract fuzzed: any bytes give either a parsed result
 * or a negative errno with a one-line message; never a crash, a leak or
 * undefined behaviour (ASan + UBSan).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int r, const struct eg_error *err)
{
	if (r < 0) {
		assert(err->code > 0);
		assert(err->message[0] != '\0');
		assert(strchr(err->message, '\n') == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eg_error err = {0};
	char *buffer = malloc(size + 1);
	int r;

	if (!buffer)
		return 0;
	memcpy(buffer, data, size);
	buffer[size] = '\0';
#if FUZZ_TARGET == 1
	{
		struct eg_oci_state *state = NULL;
		r = eg_oci_state_parse("fuzz", buffer, size, &state, &err);
		if (r == 0)
			(void)eg_oci_annotation(state->annotations, "io.entryguard.mode");
		eg_oci_state_free(state);
	}
#elif FUZZ_TARGET == 2
	{
		struct eg_oci_spec *spec = NULL;
		r = eg_oci_spec_parse("fuzz", buffer, size, &spec, &err);
		if (r == 0) {
			for (size_t i = 0; i < spec->args_count; i++)
				assert(spec->args[i] != NULL);
			assert(spec->args[spec->args_count] == NULL);
			(void)eg_oci_spec_namespace(spec, "network");
		}
		eg_oci_spec_free(spec);
	}
#elif FUZZ_TARGET == 3
	{
		struct eg_oci_listener_message *message = NULL;
		/* The fd count is taken from the first byte so both the match and
		 * the mismatch paths are explored. */
		size_t fds = size ? (size_t)(data[0] % 4) : 1;
		r = eg_oci_listener_message_parse("fuzz", buffer, size, fds, &message, &err);
		if (r == 0)
			assert(message->seccomp_fd_index < (int)message->fds_count);
		eg_oci_listener_message_free(message);
	}
#else
#error "FUZZ_TARGET must be 1 (state), 2 (spec) or 3 (listener message)"
#endif
	check_error(r, &err);
	free(buffer);
	return 0;
}
