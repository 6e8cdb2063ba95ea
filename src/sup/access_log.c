/* The access log: one line per finished request on stdout, written with a
 * single write(2) so lines never interleave:
 *   <addr> "<METHOD> <path?query>" <status> <bytes> <seconds>s worker=<pid|->
 * Everything else the server says goes to stderr through clams__log. */
#include <stdio.h>
#include <unistd.h>

#include "sup/sup_internal.h"

void clams__access_log(const clams__sreq_t *r, double now)
{
    char line[4096];
    char wk[24] = "-";
    if (r->worker > 0)
        snprintf(wk, sizeof(wk), "%d", (int)r->worker);
    int n = snprintf(line, sizeof(line), "%s \"%s %s\" %d %zu %.6fs worker=%s\n",
                     r->addr[0] ? r->addr : "-", r->method, r->path ? r->path : "-",
                     r->status, r->resp_len, now - r->t0, wk);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
    (void)w;
}
