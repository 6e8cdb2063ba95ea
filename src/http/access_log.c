/* The access log of both servers: one line per finished request on stdout,
 * written with a single write(2) so lines never interleave:
 *   <addr> "<METHOD> <target>" <status> <bytes> <seconds>s worker=<pid|->
 * <bytes> is the body as sent (0 for HEAD). A line is never cut: a target
 * too long for it is shortened in the middle ("...") and every field after
 * it stays. Everything else a server says goes to stderr through clams__log. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

#define LINE_MAX_BYTES 4096
#define TARGET_MAX     3000 /* leaves room for every other field */

void clams__http_access_log(const char *addr, const char *method, const char *target, int status,
                            size_t bytes, double seconds, long worker)
{
    char line[LINE_MAX_BYTES], tgt[TARGET_MAX + 8], wk[24] = "-";
    if (worker > 0)
        snprintf(wk, sizeof(wk), "%ld", worker);
    size_t tl = target ? strlen(target) : 0;
    if (tl > TARGET_MAX) /* the start and the end of the target, the middle elided */
        snprintf(tgt, sizeof(tgt), "%.*s...%s", TARGET_MAX / 2, target,
                 target + tl - (TARGET_MAX / 2 - 3));
    else
        snprintf(tgt, sizeof(tgt), "%s", target ? target : "-");
    int n = snprintf(line, sizeof(line), "%s \"%.15s %s\" %d %zu %.6fs worker=%s\n",
                     addr && *addr ? addr : "-", method ? method : "-", tgt, status, bytes, seconds,
                     wk);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) /* cannot happen with the bounds above; stay safe */
        n = (int)sizeof(line) - 1;
    ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
    (void)w;
}

void clams__http_client_addr(struct MHD_Connection *c, char *buf, size_t size)
{
    buf[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
}
