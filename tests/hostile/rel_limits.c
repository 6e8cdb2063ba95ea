/* rel_limits: the limits that protect a server from its clients, measured
 * against the development or the production server (argv[1] = dev|prod):
 *  - slowloris: SLOW connections send a request one byte at a time (half of
 *    them stuck in the headers, half in a declared body) while normal
 *    requests are sent; with one worker, every normal request must still be
 *    answered 200 (a slow client never holds a worker or the event loop);
 *  - idle connections: IDLE connections opened and left silent, then a
 *    normal request must be answered;
 *  - half-closed connections: clients send a whole keep-alive GET, or a
 *    request cut in its headers or body, and shut their sending side; each
 *    must get its answer (or none) and be closed by the server within
 *    HALF_LIMIT_S, far sooner than the 60 s idle timeout. libmicrohttpd's
 *    epoll loop held such connections for the whole timeout (see
 *    src/http/http.c, src/sup/halfclose.c).
 *   rel_limits dev|prod APP BASE_MMIF */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawhttp.h"
#include "support.h"

#define SLOW 64
#define IDLE 400
#define HALF 16
#define HALF_LIMIT_S 10.0 /* far above a healthy close (milliseconds), far below the 60 s timeout */

static atomic_int stop_flag;
static int port;

static int open_conn(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Keeps SLOW connections trickling one byte each every 100 ms. */
static void *slowloris(void *arg)
{
    (void)arg;
    static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char body_head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                                    "100000\r\n\r\n";
    int fds[SLOW];
    size_t pos[SLOW];
    for (int i = 0; i < SLOW; i++) {
        fds[i] = open_conn();
        pos[i] = 0;
        if (fds[i] >= 0 && i % 2)
            send(fds[i], body_head, strlen(body_head), MSG_NOSIGNAL);
    }
    while (!atomic_load(&stop_flag)) {
        for (int i = 0; i < SLOW; i++) {
            if (fds[i] < 0)
                continue;
            char ch = i % 2 ? '[' : head[pos[i] % (sizeof(head) - 1)];
            if (send(fds[i], &ch, 1, MSG_NOSIGNAL) != 1) {
                close(fds[i]); /* dropped by the server: open a fresh one */
                fds[i] = open_conn();
                pos[i] = 0;
                if (fds[i] >= 0 && i % 2)
                    send(fds[i], body_head, strlen(body_head), MSG_NOSIGNAL);
                continue;
            }
            pos[i]++;
        }
        usleep(100000);
    }
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return NULL;
}

static bool normal_request(const char *base, size_t len)
{
    raw_buf_t req = {0};
    raw_buf_printf(&req, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                         "%zu\r\n\r\n", len);
    raw_buf_add(&req, base, len);
    raw_resp_t r;
    raw_exchange(port, req.data, req.len, 60, &r);
    bool ok = r.status == 200 && strstr(r.body, "rel-test");
    if (!ok)
        printf("normal request: status %d%s\n", r.status, r.timed_out ? " (timed out)" : "");
    raw_resp_free(&r);
    raw_buf_free(&req);
    return ok;
}

/* The half-close shapes: a whole keep-alive GET (answered, then closed), a
 * request cut inside its headers, and one cut inside its body (closed without
 * an answer: the client said it will send nothing more). */
static const struct {
    const char *name, *req;
    bool answered;
} half_shapes[] = {
    {"whole keep-alive GET", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", true},
    {"cut in the headers", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b", false},
    {"cut in the body", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"a",
     false},
};

/* One half-closed client: true when it got the answer its shape calls for
 * and the server then closed the connection within HALF_LIMIT_S. With
 * `stopped` the server (pid) is stopped once it has accepted the connection
 * and until the client has sent and half-closed, so the bytes and the FIN
 * reach it together: the case libmicrohttpd's edge-triggered epoll loop
 * missed. */
static bool half_closed_released(int shape, pid_t stopped)
{
    const char *req = half_shapes[shape].req;
    size_t len = strlen(req);
    int fd = open_conn();
    if (stopped > 0) {
        usleep(50000); /* accepted and watched by the server before it stops */
        kill(stopped, SIGSTOP);
    }
    bool sent = fd >= 0 && send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len &&
                shutdown(fd, SHUT_WR) == 0;
    if (stopped > 0) {
        usleep(20000); /* let the FIN land before the server runs again */
        kill(stopped, SIGCONT);
    }
    bool closed = false;
    char head[16] = "", buf[4096];
    size_t got = 0;
    double end = raw_now() + HALF_LIMIT_S;
    for (double left; sent && (left = end - raw_now()) > 0;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            closed = true; /* EOF, or a reset: either way the server let go */
            break;
        }
        for (ssize_t i = 0; i < n && got < sizeof(head) - 1; i++)
            head[got++] = buf[i];
    }
    if (fd >= 0)
        close(fd);
    bool answered = strncmp(head, "HTTP/1.1 200", 12) == 0;
    return closed && answered == half_shapes[shape].answered;
}

/* Every shape HALF times, half of them with the server stopped. */
static bool half_closed_all(pid_t server)
{
    bool all = true;
    for (int shape = 0; shape < (int)(sizeof(half_shapes) / sizeof(half_shapes[0])); shape++) {
        int ok = 0;
        for (int i = 0; i < HALF; i++)
            ok += half_closed_released(shape, i % 2 ? server : 0);
        printf("half-closed, %s: %d of %d %s and closed within %.0f s (half of them sent "
               "while the server was stopped)\n", half_shapes[shape].name, ok, HALF,
               half_shapes[shape].answered ? "answered 200" : "got no answer", HALF_LIMIT_S);
        all = all && ok == HALF;
    }
    return all;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    bool prod = strcmp(argv[1], "prod") == 0;
    size_t base_len = 0;
    char *base = clams_ts_read_file(argv[3], &base_len);
    if (!base)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    const char *dev_args[] = {NULL};
    const char *prod_args[] = {"--production", "--workers", "1", NULL};
    const char *env[] = {"CLAMS_NVML_LIBRARY=/nonexistent/x", "CLAMS_NVIDIA_SMI=/nonexistent/x",
                         NULL};
    clams_ts_server_t s;
    if (clams_ts_server_start(&s, argv[2], prod ? prod_args : dev_args, env, 60) != 0)
        return 1;
    port = s.port;
    pthread_t th;
    pthread_create(&th, NULL, slowloris, NULL);
    usleep(500000);
    int ok = 0, n = 20;
    for (int i = 0; i < n; i++)
        ok += normal_request(base, base_len);
    atomic_store(&stop_flag, 1);
    pthread_join(th, NULL);
    printf("slowloris (%d slow connections, 1 byte / 100 ms): %d of %d normal requests "
           "answered 200\n", SLOW, ok, n);
    int idle[IDLE], opened = 0;
    for (int i = 0; i < IDLE; i++)
        if ((idle[i] = open_conn()) >= 0)
            opened++;
    bool idle_ok = normal_request(base, base_len);
    printf("idle connections: %d open, a normal request %s\n", opened,
           idle_ok ? "answered 200" : "was NOT answered");
    for (int i = 0; i < IDLE; i++)
        if (idle[i] >= 0)
            close(idle[i]);
    bool half_ok = half_closed_all(s.pid);
    int st = clams_ts_server_stop(&s, SIGTERM, 60);
    bool clean = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("server stop: %s\n", clean ? "exit 0" : "NOT clean");
    free(base);
    return ok == n && idle_ok && half_ok && clean ? 0 : 1;
}
