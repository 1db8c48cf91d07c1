/* SPDX-License-Identifier: MIT */
/* The end of every unit test's main(): run the suite, exit status from it. */
#ifndef TESTS_UNIT_CHECK_RUN_H
#define TESTS_UNIT_CHECK_RUN_H

#include <check.h>

/* Runs every test of s (forking, as Check does by default) and frees it. */
int check_run(Suite *s);

#endif
