/* SPDX-License-Identifier: MIT */
/*
 * The control socket (minivmm_serve_socket): a thread of the library that
 * answers one JSON request per line on a Unix socket with one JSON reply
 * per line. Internal to the library; the public side is in minivmm.h.
 */
#ifndef VMM_API_SOCKET_H
#define VMM_API_SOCKET_H

#include <stddef.h>

struct minivmm;

/*
 * Answers one request line (no newline) for vm: a malloc()ed JSON reply
 * without newline, or NULL when out of memory. Pure protocol, no socket:
 * the unit tests and the fuzzer call it directly.
 */
char *api_handle_line(struct minivmm *vm, const char *line, size_t len);

#endif
