/*
 * logward-extents FROM TO: prints the data extents of the file open as descriptor 3 that
 * intersect [FROM, TO), one "START END" line each, as lseek(SEEK_DATA/SEEK_HOLE) reports them.
 * Node has no lseek, and only the filesystem knows a hole from zeros an app really wrote.
 *
 * The file is reopened through /proc/self/fd/3 so that seeking does not move the offset of the
 * description the sidecar shares with us. Exit 0 and no output: no data in the range.
 * Filesystems without SEEK_DATA support report the whole file as data, which is what we want.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: logward-extents FROM TO (file on descriptor 3)\n");
        return 2;
    }
    char *end;
    long long from = strtoll(argv[1], &end, 10);
    if (*end != '\0' || from < 0) return 2;
    long long to = strtoll(argv[2], &end, 10);
    if (*end != '\0' || to < from) return 2;

    int fd = open("/proc/self/fd/3", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "open /proc/self/fd/3: %s\n", strerror(errno));
        return 1;
    }
    off_t position = (off_t)from;
    while (position < (off_t)to) {
        off_t data = lseek(fd, position, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) break; /* no data from here to the end */
            fprintf(stderr, "lseek SEEK_DATA: %s\n", strerror(errno));
            return 1;
        }
        if (data >= (off_t)to) break;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0) {
            fprintf(stderr, "lseek SEEK_HOLE: %s\n", strerror(errno));
            return 1;
        }
        if (hole > (off_t)to) hole = (off_t)to;
        printf("%lld %lld\n", (long long)data, (long long)hole);
        position = hole;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
