/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entryguard status: the containers being watched and their monitors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "entryguard/container.h"
#include "entryguard/rundir.h"

static void print_row(const char *run_dir, const char *id)
{
	_cleanup_(eg_container_freep) struct eg_container *container = NULL;
	_cleanup_free_ char *dir = NULL;
	struct eg_error err = {0};
	char since[32] = "-", monitor[32];
	pid_t pid = 0;
	int alive;

	if (asprintf(&dir, "%s/%s", run_dir, id) < 0)
		return;
	if (eg_container_load(dir, &container, &err) < 0) {
		fprintf(stderr, "entryguard: status: %s\n", err.message);
		return;
	}
	alive = eg_monitor_pid_alive(dir, &pid);
	if (alive > 0)
		snprintf(monitor, sizeof(monitor), "%d", (int)pid);
	else
		snprintf(monitor, sizeof(monitor), alive == 0 && pid ? "gone(%d)" : "starting",
		         (int)pid);
	if (container->hook_time_us > 0) {
		time_t seconds = (time_t)(container->hook_time_us / 1000000);
		struct tm tm;
		gmtime_r(&seconds, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%-14.12s %-20s %-28s %-10s %-7s %-8d %-12s %s\n", container->id,
	       container->name ? container->name : "-", container->image ? container->image : "-",
	       container->runtime ? container->runtime : "-", eg_mode_name(container->mode),
	       (int)container->init_pid, monitor, since);
}

int eg_cli_status(int argc, char **argv)
{
	_cleanup_free_ char *run_dir = NULL;
	struct eg_error err = {0};
	struct dirent **entries = NULL;
	int count;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: entryguard status\n");
		return EG_EXIT_USAGE;
	}
	if (eg_run_dir(&run_dir, &err) < 0) {
		fprintf(stderr, "entryguard: status: %s\n", err.message);
		return EG_EXIT_INVALID;
	}
	count = scandir(run_dir, &entries, NULL, alphasort);
	if (count < 0) {
		printf("no containers watched (%s does not exist)\n", run_dir);
		return EG_EXIT_OK;
	}
	printf("%-14s %-20s %-28s %-10s %-7s %-8s %-12s %s\n", "CONTAINER", "NAME", "IMAGE",
	       "RUNTIME", "MODE", "INIT", "MONITOR", "SINCE");
	for (int i = 0; i < count; i++) {
		if (entries[i]->d_name[0] != '.' &&
		    (entries[i]->d_type == DT_DIR || entries[i]->d_type == DT_UNKNOWN))
			print_row(run_dir, entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	return EG_EXIT_OK;
}
