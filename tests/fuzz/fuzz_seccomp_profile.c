/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for entryguard-runtime's seccomp edit: any config.json
 * gives either an edited tree or a negative errno with a one-line message;
 * never a crash, a leak or undefined behaviour.  An edited tree writes as
 * JSON that parses again, and editing that again changes nothing (the edit
 * is idempotent, which is what makes a second `create` on a bundle safe).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/seccomp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int edit(yajl_val tree, enum eg_mode mode, char **ret_text, struct eg_error *err)
{
	struct eg_seccomp_profile_options options = {
	    .mode = mode,
	    .listener_path = "/run/entryguard/fuzz/seccomp.sock",
	    .listener_metadata = "mode=block",
	};
	struct eg_seccomp_profile_report report;
	size_t length;
	int r = eg_seccomp_profile_edit(tree, &options, &report, err);

	if (r < 0)
		return r;
	return eg_json_write(tree, EG_JSON_MAX_BYTES, ret_text, &length, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the mode, so detect and block are both explored. */
	enum eg_mode mode = size && (data[0] & 1) ? EG_MODE_BLOCK : EG_MODE_DETECT;
	struct eg_error err = {0};
	yajl_val tree = NULL, again = NULL;
	char *buffer = malloc(size + 1), *text = NULL, *twice = NULL;
	size_t length;
	int r;

	if (!buffer)
		return 0;
	memcpy(buffer, data, size);
	buffer[size] = '\0';
	r = eg_json_parse("fuzz", buffer, size, &tree, &err);
	if (r == 0)
		r = edit(tree, mode, &text, &err);
	if (r < 0) {
		assert(err.code > 0);
		assert(err.message[0] != '\0');
		assert(strchr(err.message, '\n') == NULL);
	} else {
		length = strlen(text);
		r = eg_json_parse("edited", text, length, &again, &err);
		assert(r == 0);
		r = edit(again, mode, &twice, &err);
		assert(r == 0);
		assert(strcmp(text, twice) == 0);
	}
	if (tree)
		yajl_tree_free(tree);
	if (again)
		yajl_tree_free(again);
	free(text);
	free(twice);
	free(buffer);
	return 0;
}
