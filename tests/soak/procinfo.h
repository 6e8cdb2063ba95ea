/* procinfo: what /proc says about a server process and its children
 * (resident memory, open descriptors, children, zombies), and a pool of
 * client threads that send annotate requests and keep count. */
#ifndef CLAMS_REL_PROCINFO_H
#define CLAMS_REL_PROCINFO_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/* VmRSS in KiB, -1 when unreadable. */
long proc_rss_kib(pid_t pid);
/* Entries of /proc/<pid>/fd, -1 when unreadable. */
int proc_fd_count(pid_t pid);
/* Children of pid (up to max) into out; returns how many. zombies gets how
 * many of them are zombies (may be NULL). */
int proc_children(pid_t pid, pid_t *out, int max, int *zombies);

/* One client request run on its own thread. */
typedef struct rel_call_s {
    const char *base_url;
    const char *query;
    const char *body;
    double timeout_s;
    pthread_t thread;
    long status;     /* 0: no HTTP answer */
    int worker;      /* X-Clams-Worker, 0 when absent */
    bool has_view;   /* the body holds this app's view */
    bool error_view; /* the body holds an error view */
    bool retry_after;
    char snippet[4096]; /* start of the body, for messages */
} rel_call_t;

/* Starts c on a thread (c must stay alive until rel_call_join). */
int rel_call_start(rel_call_t *c);
void rel_call_join(rel_call_t *c);
/* Runs c on the calling thread. */
void rel_call_run(rel_call_t *c);

#endif
