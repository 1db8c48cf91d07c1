// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/core/vm.h"
#include "vmm/core/file.h"

int read_whole_file(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
		    char *err, size_t err_len)
{
	struct stat st;
	size_t done = 0;
	uint8_t *p;
	int fd, e;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, err_len, "cannot open %s '%s': %s", what, path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "%s '%s' is not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > max) {
		snprintf(err, err_len, "%s '%s' has a bad size (%lld bytes; at most %zu MiB)", what,
			 path, (long long)st.st_size, max >> 20);
		close(fd);
		return -EFBIG;
	}
	p = malloc((size_t)st.st_size);
	if (!p) {
		close(fd);
		snprintf(err, err_len, "out of memory reading %s '%s'", what, path);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			snprintf(err, err_len, "cannot read %s '%s': %s", what, path, strerror(e));
			free(p);
			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;
}
