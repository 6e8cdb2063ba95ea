/* Master <-> worker messages over a SOCK_SEQPACKET socketpair: a fixed
 * header, an optional short text (query string, content type, reason) and at
 * most one fd passed with SCM_RIGHTS (the memfd holding a request or response
 * body). SEQPACKET keeps message boundaries, so one recvmsg is one message. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

int clams__ipc_send(int sock, const clams__ipc_hdr_t *h, const char *text, int fd)
{
    clams__ipc_hdr_t hdr = *h;
    size_t tl = text ? strlen(text) : 0;
    if (tl > CLAMS__IPC_TEXT_MAX)
        tl = CLAMS__IPC_TEXT_MAX;
    hdr.text_len = (uint32_t)tl;
    struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)text, tl}};
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = tl ? 2 : 1;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    if (fd >= 0) {
        memset(&cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = sizeof(cbuf.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? CLAMS_ESYS : 0;
}

int clams__ipc_recv(int sock, clams__ipc_hdr_t *h, char *text, size_t text_cap, int *fd)
{
    *fd = -1;
    struct iovec iov[2] = {{h, sizeof(*h)}, {text, text_cap - 1}};
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof(cbuf.buf);
    /* EINTR is returned, not retried: a worker's TERM handler relies on it. */
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n == 0)
        return 0;
    if (n < 0)
        return CLAMS_ESYS;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len >= CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    }
    /* The kernel drops a passed fd it cannot install (the receiver is out of
     * fds) and says so only with MSG_CTRUNC: the body is lost, and the
     * caller must know, never read a length of bytes from nowhere. */
    if ((msg.msg_flags & MSG_CTRUNC) && *fd < 0)
        *fd = CLAMS__IPC_FD_LOST;
    if ((size_t)n < sizeof(*h)) {
        /* A truncated header is a protocol error; drop any fd we got. */
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        errno = EPROTO;
        return CLAMS_ESYS;
    }
    size_t tl = (size_t)n - sizeof(*h);
    if (tl > h->text_len)
        tl = h->text_len;
    text[tl] = '\0';
    if (msg.msg_flags & MSG_TRUNC) { /* the text did not fit: a protocol error */
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        errno = EMSGSIZE;
        return CLAMS_ESYS;
    }
    return 1;
}

int clams__memfd_new(const char *name, const void *buf, size_t len)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return CLAMS_ESYS;
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return CLAMS_ESYS;
        }
        p += w;
        left -= (size_t)w;
    }
    return fd;
}
