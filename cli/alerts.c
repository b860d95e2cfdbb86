/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entryguard alerts: the recent alerts as a readable table. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "entryguard/config.h"
#include "entryguard/json.h"
#include "entryguard/rundir.h"

/* Only the file's tail is read: an alerts file grows without bound, and the
 * recent alerts are what this command is for. */
#define TAIL_BYTES (4u * 1024u * 1024u)

static const char *field(yajl_val record, const char *const *path)
{
	yajl_val value = yajl_tree_get(record, (const char **)path, yajl_t_any);

	if (YAJL_IS_STRING(value))
		return value->u.string;
	if (YAJL_IS_INTEGER(value) || YAJL_IS_DOUBLE(value))
		return YAJL_GET_NUMBER(value);
	return "-";
}

#define FIELD(record, ...) field(record, (const char *const[]){__VA_ARGS__, NULL})

static void print_record(yajl_val record)
{
	char process[80], destination[80];
	const char *ip = FIELD(record, "destination", "ip");

	snprintf(process, sizeof(process), "%s[%s] < %s[%s]", FIELD(record, "process", "name"),
	         FIELD(record, "process", "pid"), FIELD(record, "process", "parent", "name"),
	         FIELD(record, "process", "parent", "pid"));
	snprintf(destination, sizeof(destination), strchr(ip, ':') ? "%s [%s]:%s" : "%s %s:%s",
	         FIELD(record, "network", "transport"), ip, FIELD(record, "destination", "port"));
	printf("%-27s %-20.20s %-40s %-30s %7s %-8s %s\n", FIELD(record, "@timestamp"),
	       strcmp(FIELD(record, "container", "name"), "-") ? FIELD(record, "container", "name")
	                                                       : FIELD(record, "container", "id"),
	       process, destination, FIELD(record, "entryguard", "elapsed_ms"),
	       FIELD(record, "entryguard", "action"), FIELD(record, "entryguard", "source"));
}

static int alerts_path(const char *file, const char *config_file, char **ret_path,
                       struct eg_error *err)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	_cleanup_free_ char *located = NULL;
	int r;

	if (file) {
		*ret_path = strdup(file);
		return *ret_path ? 0 : eg_error_set(err, ENOMEM, "out of memory");
	}
	r = eg_config_locate(config_file, eg_is_rootless(), &located, err);
	if (r >= 0 && located)
		r = eg_config_load_file(located, &config, err);
	if (r < 0)
		return r;
	if (config && config->alerts_path) {
		*ret_path = strdup(config->alerts_path);
		return *ret_path ? 0 : eg_error_set(err, ENOMEM, "out of memory");
	}
	return eg_alerts_default_path(ret_path, err);
}

static int read_tail(const char *path, char **ret_text, size_t *ret_length, struct eg_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s", path);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > TAIL_BYTES)
		lseek(fd, st.st_size - (off_t)TAIL_BYTES, SEEK_SET);
	return eg_read_fd_bounded(fd, TAIL_BYTES, ret_text, ret_length, err);
}

static int print_alerts(const char *path, char *text, long limit)
{
	char *lines[1024];
	size_t count = 0, bad = 0;
	char *line, *save = NULL;

	/* Keep the last `limit` complete lines (the first may be cut by the tail). */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		lines[count++ % 1024] = line;
	printf("%-27s %-20s %-40s %-30s %7s %-8s %s\n", "TIME", "CONTAINER", "PROCESS < PARENT",
	       "DESTINATION", "ELAPSED", "ACTION", "SOURCE");
	for (size_t i = count > (size_t)limit ? count - (size_t)limit : 0; i < count; i++) {
		char *record_text = lines[i % 1024];
		yajl_val record = yajl_tree_parse(record_text, NULL, 0);
		if (!YAJL_IS_OBJECT(record))
			bad++;
		else
			print_record(record);
		yajl_tree_free(record);
	}
	if (bad)
		fprintf(stderr, "entryguard: alerts: %s: %zu line(s) are not JSON records\n", path,
		        bad);
	return EG_EXIT_OK;
}

int eg_cli_alerts(int argc, char **argv)
{
	static const struct option options[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"last", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *path = NULL, *text = NULL;
	const char *file = NULL, *config_file = NULL;
	struct eg_error err = {0};
	long limit = 20;
	size_t length;
	int option;

	while ((option = getopt_long(argc, argv, "f:c:n:", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 'f':
			file = optarg;
			break;
		case 'c':
			config_file = optarg;
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 1 || limit > 1024) {
				fprintf(stderr,
				        "entryguard: alerts: --last: expected 1..1024, "
				        "got \"%s\"\n",
				        optarg);
				return EG_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: entryguard alerts [--file PATH] [--config FILE] "
			                "[--last N]\n");
			return EG_EXIT_USAGE;
		}
	}
	if (alerts_path(file, config_file, &path, &err) < 0 ||
	    read_tail(path, &text, &length, &err) < 0) {
		if (err.code == ENOENT && path && !file) {
			printf("no alerts yet (%s does not exist)\n", path);
			return EG_EXIT_OK;
		}
		fprintf(stderr, "entryguard: alerts: %s\n", err.message);
		return EG_EXIT_INVALID;
	}
	return print_alerts(path, text, limit);
}
