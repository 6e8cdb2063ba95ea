/* A worker's lifecycle in the master: every state change goes through
 * clams__worker_to, which owns what a change implies (the recycle counter,
 * the SIGKILL deadline, the log line), so no caller can change a state and
 * forget the rest.
 *
 *   EMPTY --spawn--> SPAWNING --READY--> READY <--answer-- BUSY
 *                        |                 |  --dispatch-->  |
 *                        +-------+---------+--------+--------+
 *                                v (any reason)
 *                             EXITING --reap--> EMPTY
 */
#include "common/internal.h"
#include "sup/sup_internal.h"

static const char *const wstate_names[CLAMS__W_COUNT] = {
#define CLAMS__X_NAME_(name, text) text,
    CLAMS__WSTATE_LIST(CLAMS__X_NAME_)
#undef CLAMS__X_NAME_
};

static const char *const recycle_names[CLAMS__RECYCLE_COUNT] = {
#define CLAMS__X_NAME_(name, text) text,
    CLAMS__RECYCLE_LIST(CLAMS__X_NAME_)
#undef CLAMS__X_NAME_
};

const char *clams__wstate_name(clams__wstate_t s)
{
    return (unsigned)s < CLAMS__W_COUNT ? wstate_names[s] : "unknown";
}

const char *clams__recycle_name(clams__recycle_t r)
{
    return (unsigned)r < CLAMS__RECYCLE_COUNT ? recycle_names[r] : "none";
}

static void count(clams__master_t *m, clams__proc_t *p)
{
    if (p->counted || p->reason == CLAMS__RECYCLE_NONE)
        return;
    m->stats.recycles[p->reason]++;
    p->counted = true;
}

void clams__worker_to(clams__master_t *m, clams__proc_t *p, clams__wstate_t to,
                      clams__recycle_t why, double kill_after, const char *detail)
{
    clams__wstate_t from = p->state;
    double now = clams__now();
    switch (to) {
    case CLAMS__W_EXITING:
        /* A second reason (shutdown after a crash was seen) does not replace
         * the first; a second deadline only brings the kill closer. */
        if (p->reason == CLAMS__RECYCLE_NONE)
            p->reason = why;
        if (kill_after > 0 && (!p->kill_at || p->kill_at > now + kill_after))
            p->kill_at = now + kill_after;
        else if (kill_after <= 0)
            p->kill_at = 0;
        count(m, p);
        break;
    case CLAMS__W_EMPTY:
        if (p->reason == CLAMS__RECYCLE_NONE)
            p->reason = why;
        count(m, p);
        break;
    case CLAMS__W_SPAWNING:
        p->reason = CLAMS__RECYCLE_NONE;
        p->counted = false;
        p->kill_at = 0;
        break;
    case CLAMS__W_READY:
    case CLAMS__W_BUSY:
    case CLAMS__W_COUNT: break;
    }
    p->state = to;
    if (to == CLAMS__W_EXITING || to == CLAMS__W_EMPTY)
        clams__log(CLAMS_LOG_DEBUG, 0, "worker %d: %s -> %s (%s, %lu requests served)%s%s",
                   (int)p->pid, clams__wstate_name(from), clams__wstate_name(to),
                   clams__recycle_name(p->reason), p->served, detail ? ": " : "",
                   detail ? detail : "");
    else if (from != to && to != CLAMS__W_BUSY && from != CLAMS__W_BUSY)
        clams__log(CLAMS_LOG_DEBUG, 0, "worker %d: %s -> %s%s%s", (int)p->pid,
                   clams__wstate_name(from), clams__wstate_name(to), detail ? ": " : "",
                   detail ? detail : "");
    if (to == CLAMS__W_EMPTY) {
        p->pid = 0;
        p->kill_at = 0;
        p->req = NULL;
        p->counted = false;
        p->reason = CLAMS__RECYCLE_NONE;
    }
}
