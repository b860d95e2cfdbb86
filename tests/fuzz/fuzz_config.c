/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the config loader: any bytes give a config or a
 * one-line error naming the key; never a crash, a leak or UB. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eg_config *config = NULL;
	struct eg_error err = {0};
	char *buffer = malloc(size + 1);
	int r;

	if (!buffer)
		return 0;
	memcpy(buffer, data, size);
	buffer[size] = '\0';
	r = eg_config_load_buffer("fuzz", buffer, size, &config, &err);
	if (r < 0) {
		assert(config == NULL);
		assert(err.message[0] != '\0');
		assert(strchr(err.message, '\n') == NULL);
	} else {
		enum eg_mode mode;
		bool ignored;
		assert(config != NULL);
		assert(config->window_ms > 0);
		(void)eg_config_effective_mode(config, "block", &mode, &ignored, &err);
	}
	eg_config_free(config);
	free(buffer);
	return 0;
}
