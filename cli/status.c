/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard status [--json]: the containers being watched and their
 * monitors.  The metadata comes from each container folder's
 * container.json, the live state from the monitor's control socket
 * (entryguard/control.h).  A row that cannot be read is one line on stderr;
 * the other rows still print.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "entryguard/container.h"
#include "entryguard/control.h"
#include "entryguard/rundir.h"

/* Per container: a live monitor answers in well under a millisecond. */
#define CONTROL_TIMEOUT_MS 200

enum monitor_state {
	MONITOR_RUNNING,      /* answered on its control socket */
	MONITOR_STARTING,     /* no monitor recorded yet */
	MONITOR_GONE,         /* nobody listens, or the recorded pid is dead */
	MONITOR_UNRESPONSIVE, /* alive, but no answer (said on stderr) */
};

static const char *const monitor_state_names[] = {
    [MONITOR_RUNNING] = "running",
    [MONITOR_STARTING] = "starting",
    [MONITOR_GONE] = "gone",
    [MONITOR_UNRESPONSIVE] = "unresponsive",
};

struct row {
	struct eg_container *container;
	struct eg_control_status live; /* MONITOR_RUNNING */
	enum monitor_state state;
	pid_t monitor_pid; /* 0: none known */
};

static void row_clear(struct row *row)
{
	eg_container_free(row->container);
	eg_control_status_clear(&row->live);
}

static void look_at_monitor(const char *dir, struct row *row)
{
	struct eg_error err = {0};
	pid_t pid = 0;
	int alive, r = eg_control_query(dir, CONTROL_TIMEOUT_MS, &row->live, &err);

	if (r == 0) {
		row->state = MONITOR_RUNNING;
		row->monitor_pid = row->live.pid;
		return;
	}
	alive = eg_monitor_pid_alive(dir, &pid);
	row->monitor_pid = pid;
	if (r == -ECONNREFUSED || r == -ECONNRESET || (alive == 0 && pid)) {
		row->state = MONITOR_GONE;
	} else if (alive > 0) {
		row->state = MONITOR_UNRESPONSIVE;
		fprintf(stderr, "entryguard: status: container %s: monitor %d: %s\n",
		        row->container->id, (int)pid, err.message);
	} else {
		row->state = MONITOR_STARTING;
	}
}

static int load_row(const char *run_dir, const char *id, struct row *row)
{
	_cleanup_free_ char *dir = NULL;
	struct eg_error err = {0};

	if (asprintf(&dir, "%s/%s", run_dir, id) < 0) {
		dir = NULL;
		fprintf(stderr, "entryguard: status: out of memory\n");
		return -ENOMEM;
	}
	if (eg_container_load(dir, &row->container, &err) < 0) {
		fprintf(stderr, "entryguard: status: %s\n", err.message);
		return -err.code;
	}
	look_at_monitor(dir, row);
	return 0;
}

static void print_header(void)
{
	printf("%-14s %-20s %-28s %-10s %-7s %-8s %-12s %-8s %-7s %s\n", "CONTAINER", "NAME",
	       "IMAGE", "RUNTIME", "MODE", "INIT", "MONITOR", "TRACKED", "ALERTS", "SINCE");
}

static void print_table_row(const struct row *row)
{
	const struct eg_container *container = row->container;
	bool live = row->state == MONITOR_RUNNING;
	char since[32] = "-", monitor[32], tracked[16] = "-", alerts[24] = "-";

	if (row->state == MONITOR_RUNNING || row->state == MONITOR_UNRESPONSIVE)
		snprintf(monitor, sizeof(monitor), "%d", (int)row->monitor_pid);
	else if (row->state == MONITOR_GONE && row->monitor_pid)
		snprintf(monitor, sizeof(monitor), "gone(%d)", (int)row->monitor_pid);
	else
		snprintf(monitor, sizeof(monitor), "%s", monitor_state_names[row->state]);
	if (live) {
		snprintf(tracked, sizeof(tracked), "%u", row->live.tracked);
		snprintf(alerts, sizeof(alerts), "%llu",
		         (unsigned long long)row->live.alerts_written);
	}
	if (container->hook_time_us > 0) {
		time_t seconds = (time_t)(container->hook_time_us / 1000000);
		struct tm tm;
		gmtime_r(&seconds, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%-14.12s %-20s %-28s %-10s %-7s %-8d %-12s %-8s %-7s %s\n", container->id,
	       container->name ? container->name : "-", container->image ? container->image : "-",
	       container->runtime ? container->runtime : "-",
	       eg_mode_name(live ? row->live.mode : container->mode), (int)container->init_pid,
	       monitor, tracked, alerts, since);
}

/* {"container": <container.json>, "monitor_state": "running", "monitor_pid":
 * 4242, "monitor": <the control message>}: both parts as entryguard writes
 * them (so the line is valid JSON whatever the files held), on one line. */
static int print_json_row(const struct row *row)
{
	_cleanup_free_ char *container = NULL, *live = NULL;
	struct eg_error err = {0};
	size_t length = 0, live_length = 0;
	char pid[16] = "null";

	if (eg_container_to_json(row->container, &container, &length, &err) < 0 ||
	    (row->state == MONITOR_RUNNING &&
	     eg_control_status_to_json(&row->live, &live, &live_length, &err) < 0)) {
		fprintf(stderr, "entryguard: status: container %s: %s\n", row->container->id,
		        err.message);
		return -err.code;
	}
	while (length > 0 && container[length - 1] == '\n')
		container[--length] = '\0';
	if (row->monitor_pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)row->monitor_pid);
	printf("{\"container\":%s,\"monitor_state\":\"%s\",\"monitor_pid\":%s,\"monitor\":%s}\n",
	       container, monitor_state_names[row->state], pid, live ? live : "null");
	return 0;
}

int eg_cli_status(int argc, char **argv)
{
	_cleanup_free_ char *run_dir = NULL;
	struct eg_error err = {0};
	struct dirent **entries = NULL;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int count;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: entryguard status [--json]\n");
		return EG_EXIT_USAGE;
	}
	if (eg_run_dir(&run_dir, &err) < 0) {
		fprintf(stderr, "entryguard: status: %s\n", err.message);
		return EG_EXIT_INVALID;
	}
	count = scandir(run_dir, &entries, NULL, alphasort);
	if (count < 0) {
		if (!json)
			printf("no containers watched (%s does not exist)\n", run_dir);
		return EG_EXIT_OK;
	}
	if (!json)
		print_header();
	for (int i = 0; i < count; i++) {
		struct row row = {0};

		if (entries[i]->d_name[0] != '.' &&
		    (entries[i]->d_type == DT_DIR || entries[i]->d_type == DT_UNKNOWN) &&
		    load_row(run_dir, entries[i]->d_name, &row) == 0) {
			if (json)
				print_json_row(&row);
			else
				print_table_row(&row);
		}
		row_clear(&row);
		free(entries[i]);
	}
	free(entries);
	return EG_EXIT_OK;
}
