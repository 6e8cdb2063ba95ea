/* mhd_bad_length: libmicrohttpd on its own, default options, one handler that
 * answers 200, and one request with a bad Content-Length sent to it: prints
 * how many status lines come back. libmicrohttpd 0.9.75 (Debian 12) prints 2:
 * it writes the head of its own 400 twice, before any handler of ours could
 * run (docs/reliability.md, section 5).   usage: mhd_bad_length [PORT] */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*state) {
        *state = c;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 5099;
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL, NULL,
                         handler, NULL, MHD_OPTION_END);
    if (!d)
        return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        return 1;
    const char *req = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n";
    if (send(fd, req, strlen(req), 0) < 0)
        return 1;
    char buf[8192];
    size_t got = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (got < sizeof(buf) - 1 && poll(&p, 1, 1000) > 0) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    int lines = 0;
    for (const char *s = buf; (s = strstr(s, "HTTP/1.1 ")) != NULL; s += 9)
        lines++;
    printf("libmicrohttpd %s: %d status line(s) for one bad Content-Length\n", MHD_get_version(),
           lines);
    close(fd);
    MHD_stop_daemon(d);
    return 0;
}
