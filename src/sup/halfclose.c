/* Clients that shut their sending side (half-close), for the production front.
 *
 * libmicrohttpd 0.9.75's epoll mode (the front's) waits edge-triggered and
 * takes a short read as "nothing more to read": when a client's FIN arrives
 * with or just after its last bytes, the end of input is never read and the
 * connection stays until --client-timeout, whether its request was cut short
 * or was answered and left idle. (The development server avoids this by
 * polling; the front keeps epoll to serve many connections from one loop.)
 *
 * So the master watches every client socket for EPOLLRDHUP in an epoll of its
 * own, one shot per connection. A half-closed connection is shut down by the
 * master once nothing is owed to the client: no request of it is queued, in a
 * worker or being answered, and the kernel holds no byte of it that
 * libmicrohttpd has not read yet. The shutdown wakes libmicrohttpd, which then
 * reads the end of input and closes the connection as it would have. A request
 * that was complete before the FIN is still answered (a client may half-close
 * and wait for its answer). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

struct clams__conn_s {
    int fd;
    clams__sreq_t *req;         /* the connection's request, from its headers to its end */
    bool peer_done;             /* EPOLLRDHUP seen */
    clams__conn_t *prev, *next; /* in m->half_closed while peer_done and not shut */
};

int clams__hc_open(clams__master_t *m)
{
    m->hcfd = epoll_create1(EPOLL_CLOEXEC);
    if (m->hcfd < 0)
        return CLAMS_ESYS;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = CLAMS__TAG_HALF_CLOSED};
    return epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->hcfd, &ev) == 0 ? 0 : CLAMS_ESYS;
}

void clams__hc_close(clams__master_t *m)
{
    if (m->hcfd >= 0)
        close(m->hcfd);
    m->hcfd = -1;
}

static void unlink_conn(clams__master_t *m, clams__conn_t *cc)
{
    if (cc->prev)
        cc->prev->next = cc->next;
    else if (m->half_closed == cc)
        m->half_closed = cc->next;
    if (cc->next)
        cc->next->prev = cc->prev;
    cc->prev = cc->next = NULL;
}

void clams__hc_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    clams__master_t *m = cls;
    clams__conn_t *cc = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cc = ci ? calloc(1, sizeof(*cc)) : NULL;
        if (!cc)
            return; /* not watched: only the idle timeout will end it */
        cc->fd = ci->connect_fd;
        struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT, .data.ptr = cc};
        if (epoll_ctl(m->hcfd, EPOLL_CTL_ADD, cc->fd, &ev) != 0) {
            clams__log(CLAMS_LOG_DEBUG, errno, "watching a client socket for half-close");
            free(cc);
            return;
        }
        *socket_context = cc;
        return;
    }
    if (code == MHD_CONNECTION_NOTIFY_CLOSED && cc) {
        epoll_ctl(m->hcfd, EPOLL_CTL_DEL, cc->fd, NULL); /* may be closed already */
        unlink_conn(m, cc);
        free(cc);
        *socket_context = NULL;
    }
}

static clams__conn_t *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void clams__hc_request_begins(struct MHD_Connection *c, clams__sreq_t *r)
{
    clams__conn_t *cc = conn_of(c);
    if (cc)
        cc->req = r;
}

void clams__hc_request_ends(struct MHD_Connection *c)
{
    clams__conn_t *cc = conn_of(c);
    if (cc)
        cc->req = NULL;
}

bool clams__hc_client_left(struct MHD_Connection *c)
{
    clams__conn_t *cc = c ? conn_of(c) : NULL;
    return cc && cc->peer_done;
}

void clams__hc_events(clams__master_t *m)
{
    struct epoll_event evs[64];
    int n;
    while ((n = epoll_wait(m->hcfd, evs, 64, 0)) > 0) {
        for (int i = 0; i < n; i++) {
            clams__conn_t *cc = evs[i].data.ptr;
            if (cc->peer_done)
                continue;
            cc->peer_done = true;
            /* A client that leaves while its request waits for a worker
             * gave it up (nginx's default): no worker runs it. A request
             * already in a worker is answered as before. */
            if (cc->req && cc->req->phase == CLAMS__REQ_QUEUED && !m->cfg->ignore_client_abort)
                clams__master_abandon(m, cc->req);
            cc->next = m->half_closed;
            if (cc->next)
                cc->next->prev = cc;
            m->half_closed = cc;
        }
        if (n < 64)
            break;
    }
}

/* True while the client is owed an answer to a request it finished sending. */
static bool answer_owed(const clams__conn_t *cc)
{
    return cc->req && (cc->req->phase != CLAMS__REQ_RECEIVING || cc->req->by_step);
}

void clams__hc_sweep(clams__master_t *m)
{
    clams__conn_t *cc = m->half_closed;
    while (cc) {
        clams__conn_t *next = cc->next;
        int unread = 0;
        if (!answer_owed(cc) && ioctl(cc->fd, FIONREAD, &unread) == 0 && unread == 0) {
            shutdown(cc->fd, SHUT_RDWR);
            unlink_conn(m, cc);
        }
        cc = next;
    }
}
