// recvmmsg/sendmmsg and pthread_setname_np (Linux, glibc) for DNSServer. glibc declares them only under
// _GNU_SOURCE, which Swift's Glibc module is not built with, so this header declares its own
// layout-identical `struct mmsghdr` and the .c file (built with _GNU_SOURCE) does the calls.
#ifndef CDATAGRAM_H
#define CDATAGRAM_H
#include <sys/socket.h>

typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} cdatagram_mmsghdr;

int cdatagram_recvmmsg(int fd, cdatagram_mmsghdr *msgs, unsigned int count, int flags);
int cdatagram_sendmmsg(int fd, cdatagram_mmsghdr *msgs, unsigned int count, int flags);
/// MSG_WAITFORONE: block for the first datagram only.
int cdatagram_waitforone(void);
/// pthread_setname_np(pthread_self(), name) (also a GNU extension): the kernel's thread name,
/// at most 15 bytes, shown by `top -H` and /proc/PID/task/TID/comm.
int cdatagram_set_thread_name(const char *name);
#endif
