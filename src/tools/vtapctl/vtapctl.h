/* SPDX-License-Identifier: MIT */
/*
 * vtapctl.h - the objects of vtapctl; one file each (hash.c, dev.c, ...)
 *
 * Each cmd_OBJECT() gets the arguments after the object's name and returns
 * the process exit code: 0 success, 1 failure, 2 usage.
 */
#ifndef VTAPCTL_H
#define VTAPCTL_H

int cmd_hash(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_offload(int argc, char **argv);
int cmd_rss(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_steer(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_switch(int argc, char **argv);

#endif /* VTAPCTL_H */
