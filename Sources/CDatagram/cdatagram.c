#define _GNU_SOURCE
#include <sys/socket.h>
#include <pthread.h>
#include <stddef.h>
#include "cdatagram.h"

_Static_assert(sizeof(cdatagram_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(cdatagram_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int cdatagram_recvmmsg(int fd, cdatagram_mmsghdr *msgs, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, count, flags, NULL);
}

int cdatagram_sendmmsg(int fd, cdatagram_mmsghdr *msgs, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, count, flags);
}

int cdatagram_waitforone(void) { return MSG_WAITFORONE; }

int cdatagram_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
