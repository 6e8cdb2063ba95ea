/* Reading helpers: locations, TextDocument text, documents and alignments
 * wherever they are, time units and code point offsets. Written against the
 * public API only (clams/mmif.h), as libclams-media is. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clams/limits.h"
#include "clams/mmif.h"
#include "common/internal.h"

/* The library's one error setter (the first error wins), without path or rule. */
#define fail(err, code, ...) clams__error_set((err), (code), NULL, NULL, __VA_ARGS__)

/* ---- Locations ------------------------------------------------------------------ */

#define MAX_RESOLVERS 16
static struct {
    char scheme[32];
    clams_location_resolver_fn fn;
    void *user;
} resolvers[MAX_RESOLVERS];

int clams_location_register(const char *scheme, clams_location_resolver_fn fn, void *user)
{
    if (!scheme || !*scheme || strlen(scheme) >= sizeof resolvers[0].scheme ||
        strcasecmp(scheme, "file") == 0)
        return CLAMS_EINVAL;
    for (const char *p = scheme; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' ||
              *p == '.'))
            return CLAMS_EINVAL;
    int free_slot = -1;
    for (int i = 0; i < MAX_RESOLVERS; i++) {
        if (resolvers[i].fn && strcmp(resolvers[i].scheme, scheme) == 0) {
            resolvers[i].fn = fn;
            resolvers[i].user = user;
            return 0;
        }
        if (!resolvers[i].fn && free_slot < 0)
            free_slot = i;
    }
    if (!fn)
        return 0;
    if (free_slot < 0)
        return CLAMS_ETOOBIG;
    snprintf(resolvers[free_slot].scheme, sizeof resolvers[free_slot].scheme, "%s", scheme);
    resolvers[free_slot].fn = fn;
    resolvers[free_slot].user = user;
    return 0;
}

/* Percent-decodes s[0..n) into a new string; NULL on a bad escape, %00 or OOM. */
static char *percent_decode(const char *s, size_t n, int *bad)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < n ? clams__hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? clams__hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                *bad = 1;
                return NULL;
            }
            out[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

/* The path a location names, before the policy. */
static int location_raw(const char *location, char **path, clams_error_t *err)
{
    *path = NULL;
    if (!location || !*location)
        return fail(err, CLAMS_EINVAL, "empty location");
    if (location[0] == '/') {
        *path = strdup(location);
        return *path ? 0 : fail(err, CLAMS_ENOMEM, "out of memory");
    }
    const char *colon = strchr(location, ':');
    size_t slen = colon ? (size_t)(colon - location) : 0;
    bool scheme_ok = slen > 0;
    for (size_t i = 0; i < slen && scheme_ok; i++) {
        char c = location[i];
        scheme_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    }
    if (!scheme_ok)
        return fail(err, CLAMS_EINVAL, "location \"%s\" is neither an absolute path nor a URI",
                    location);
    char scheme[32];
    if (slen >= sizeof scheme)
        return fail(err, CLAMS_EINVAL, "location \"%s\": scheme too long", location);
    for (size_t i = 0; i < slen; i++)
        scheme[i] =
            (char)((location[i] >= 'A' && location[i] <= 'Z') ? location[i] + 32 : location[i]);
    scheme[slen] = '\0';
    if (strcmp(scheme, "file") == 0) {
        const char *rest = colon + 1;
        if (strncmp(rest, "//", 2) == 0) {
            rest += 2;
            const char *slash = strchr(rest, '/');
            size_t hlen = slash ? (size_t)(slash - rest) : strlen(rest);
            if (hlen && !(hlen == 9 && strncasecmp(rest, "localhost", 9) == 0))
                return fail(err, CLAMS_EINVAL,
                            "location \"%s\": file URI with host \"%.*s\" (only local files)",
                            location, (int)hlen, rest);
            rest += hlen;
        }
        if (rest[0] != '/')
            return fail(err, CLAMS_EINVAL, "location \"%s\": not an absolute file path", location);
        size_t n = strcspn(rest, "?#");
        int bad = 0;
        *path = percent_decode(rest, n, &bad);
        if (!*path)
            return bad ? fail(err, CLAMS_EINVAL, "location \"%s\": bad percent escape", location)
                       : fail(err, CLAMS_ENOMEM, "out of memory");
        return 0;
    }
    for (int i = 0; i < MAX_RESOLVERS; i++) {
        if (!resolvers[i].fn || strcmp(resolvers[i].scheme, scheme) != 0)
            continue;
        clams_error_t mine = {0};
        *path = resolvers[i].fn(location, resolvers[i].user, &mine);
        if (*path)
            return 0;
        return fail(err, mine.code ? mine.code : CLAMS_ENOTFOUND,
                    "location \"%s\": the %s resolver failed: %s", location, scheme,
                    mine.text[0] ? mine.text : "no path");
    }
    return fail(err, CLAMS_EINVAL,
                "cannot resolve location \"%s\": no resolver for scheme \"%s\" "
                "(register one with clams_location_register)",
                location, scheme);
}

int clams_location_path(const char *location, char **path, clams_error_t *err)
{
    if (!path)
        return CLAMS_EINVAL;
    *path = NULL;
    char *raw = NULL;
    int rc = location_raw(location, &raw, err);
    if (rc != 0)
        return rc;
    /* Resolvers' answers too: the policy is about the file, not the URI. */
    clams_error_t mine = {0};
    rc = clams_location_check(raw, path, &mine);
    free(raw);
    if (rc != 0)
        return fail(err, rc, "location \"%s\" refused: %s", location, mine.text);
    return 0;
}

const char *clams_document_id(const json_t *doc)
{
    return json_string_value(json_object_get(json_object_get(doc, "properties"), "id"));
}

int clams_document_path(const json_t *doc, char **path, clams_error_t *err)
{
    if (!path)
        return CLAMS_EINVAL;
    *path = NULL;
    const char *id = clams_document_id(doc);
    const char *loc =
        json_string_value(json_object_get(json_object_get(doc, "properties"), "location"));
    if (!loc)
        return fail(err, CLAMS_ENOTFOUND, "document %s has no location", id ? id : "(no id)");
    clams_error_t mine = {0};
    int rc = clams_location_path(loc, path, &mine);
    if (rc != 0)
        return fail(err, rc, "document %s: %s", id ? id : "(no id)", mine.text);
    return 0;
}

/* ---- Text ------------------------------------------------------------------------ */

/* Reads a regular file of at most `max` bytes. Opened without blocking, so a
 * FIFO or a device named by a request cannot hold the worker; anything but a
 * regular file is refused before a byte is read. *eno: errno, EFBIG (over
 * max) or EINVAL (not a regular file) on failure. */
static int read_whole(const char *path, long long max, char **buf, size_t *len, int *eno)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *eno = errno;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *eno = errno;
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > max) {
        *eno = !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
        *len = (size_t)st.st_size;
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *b = malloc(cap);
    while (b) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0) {
                *eno = errno;
                free(b);
                b = NULL;
            }
            break;
        }
        n += (size_t)r;
        if (n == cap) { /* the file grew since fstat */
            if ((long long)n > max) {
                *eno = EFBIG;
                *len = n;
                free(b);
                b = NULL;
                break;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb)
                free(b);
            b = nb;
            cap *= 2;
        }
    }
    close(fd);
    if (!b) {
        if (!*eno)
            *eno = ENOMEM;
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int clams_text_document_text(const json_t *doc, char **text, size_t *len, clams_error_t *err)
{
    if (!text)
        return CLAMS_EINVAL;
    *text = NULL;
    const char *id = clams_document_id(doc);
    const char *type = json_string_value(json_object_get(doc, "@type"));
    if (!id)
        id = "(no id)";
    if (!type || !clams_type_matches(type, "TextDocument", 0))
        return fail(err, CLAMS_EINVAL, "document %s is a %s, not a TextDocument", id,
                    type ? type : "(no @type)");
    json_t *props = json_object_get(doc, "properties");
    if (json_object_get(props, "location")) {
        char *path = NULL;
        int rc = clams_document_path(doc, &path, err);
        if (rc != 0)
            return rc;
        char *buf;
        size_t n = 0;
        int eno = 0;
        long long max = clams_limit_get(CLAMS_LIMIT_TEXT_BYTES);
        if (read_whole(path, max, &buf, &n, &eno) != 0) {
            char what[512];
            snprintf(what, sizeof what, "document %s: %s", id, path);
            if (eno == EFBIG)
                rc = clams_limit_refuse(CLAMS_LIMIT_TEXT_BYTES, what, (long long)n, err);
            else if (eno == EINVAL)
                rc = fail(err, CLAMS_EIO, "%s: not a regular file", what);
            else
                rc = fail(err, eno == ENOMEM ? CLAMS_ENOMEM : CLAMS_EIO, "%s: cannot read: %s",
                          what, strerror(eno));
            free(path);
            return rc;
        }
        /* Validate, and turn CRLF and lone CR into LF as Python's text mode does. */
        size_t k = 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < n;) {
            size_t l = clams__utf8_seq((const unsigned char *)buf + i, n - i);
            if (l == 0) {
                if (err && err->code == 0) {
                    err->position = (long)i;
                    err->line = line;
                    err->column = col;
                }
                rc = fail(err, CLAMS_ESYNTAX,
                          "document %s: %s is not valid UTF-8: byte 0x%02x at byte offset %zu "
                          "(line %d, column %d)",
                          id, path, (unsigned char)buf[i], i, line, col);
                free(buf);
                free(path);
                return rc;
            }
            if (buf[i] == '\r') {
                buf[k++] = '\n';
                i += (i + 1 < n && buf[i + 1] == '\n') ? 2 : 1;
                line++, col = 1;
                continue;
            }
            if (buf[i] == '\n')
                line++, col = 0;
            memmove(buf + k, buf + i, l);
            k += l, i += l, col++;
        }
        buf[k] = '\0';
        free(path);
        *text = buf;
        if (len)
            *len = k;
        return 0;
    }
    json_t *value = json_object_get(json_object_get(props, "text"), "@value");
    if (!json_is_string(value))
        return fail(err, CLAMS_ENOTFOUND, "document %s has neither text nor a location", id);
    size_t n = json_string_length(value);
    char *copy = malloc(n + 1);
    if (!copy)
        return fail(err, CLAMS_ENOMEM, "out of memory");
    memcpy(copy, json_string_value(value), n + 1);
    *text = copy;
    if (len)
        *len = n;
    return 0;
}

/* ---- Documents and alignments ------------------------------------------------------ */

/* "<view>:<id>" into buf unless id already has a ':'. */
static const char *long_id(const clams_view_t *view, const char *id, char *buf, size_t size)
{
    if (!id || !view || strchr(id, ':'))
        return id;
    snprintf(buf, size, "%s:%s", clams_view_id(view), id);
    return buf;
}

int clams_mmif_foreach_document(const clams_mmif_t *mmif, const char *type, int flags,
                                clams_document_fn fn, void *data)
{
    if (!mmif || !fn)
        return CLAMS_EINVAL;
    char buf[512];
    for (size_t v = 0; v < clams_mmif_view_count(mmif); v++) {
        const clams_view_t *view = clams_mmif_view_at(mmif, v);
        size_t n = clams_view_annotation_count(view);
        for (size_t i = 0; i < n; i++) {
            json_t *a = clams_view_annotation_json_at(view, i);
            const char *t = json_string_value(json_object_get(a, "@type"));
            /* Documents are the annotations whose type is a ...Document. */
            char shortname[64];
            if (!t)
                continue;
            clams_type_short_name(t, shortname, sizeof shortname);
            size_t sl = strlen(shortname);
            if (sl < 8 || strcmp(shortname + sl - 8, "Document") != 0)
                continue;
            if (type && !clams_type_matches(t, type, flags))
                continue;
            int rc = fn(view, long_id(view, clams_document_id(a), buf, sizeof buf), a, data);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < clams_mmif_document_count(mmif); i++) {
        json_t *d = clams_mmif_document_at(mmif, i);
        const char *t = json_string_value(json_object_get(d, "@type"));
        if (type && (!t || !clams_type_matches(t, type, flags)))
            continue;
        int rc = fn(NULL, clams_document_id(d), d, data);
        if (rc)
            return rc;
    }
    return 0;
}

json_t *clams_mmif_resolve(const clams_mmif_t *mmif, const clams_view_t *view, const char *id)
{
    if (!mmif || !id)
        return NULL;
    if (strchr(id, ':') || !view)
        return clams_mmif_lookup(mmif, id);
    char buf[512];
    json_t *j = clams_mmif_lookup(mmif, long_id(view, id, buf, sizeof buf));
    return j ? j : clams_mmif_lookup(mmif, id);
}

/* True when `ref` (as written in `view`) names the object whose long id is `id`. */
static bool same_id(const clams_view_t *view, const char *ref, const char *id)
{
    if (!ref)
        return false;
    if (strcmp(ref, id) == 0)
        return true;
    char buf[512];
    const char *l = long_id(view, ref, buf, sizeof buf);
    return l && strcmp(l, id) == 0;
}

int clams_mmif_foreach_aligned(const clams_mmif_t *mmif, const char *id, clams_aligned_fn fn,
                               void *data)
{
    if (!mmif || !id || !fn)
        return CLAMS_EINVAL;
    char buf[512];
    for (size_t v = 0; v < clams_mmif_view_count(mmif); v++) {
        const clams_view_t *view = clams_mmif_view_at(mmif, v);
        size_t n = clams_view_annotation_count(view);
        for (size_t i = 0; i < n; i++) {
            json_t *a = clams_view_annotation_json_at(view, i);
            const char *t = json_string_value(json_object_get(a, "@type"));
            if (!t || !clams_type_matches(t, "Alignment", 0))
                continue;
            json_t *props = json_object_get(a, "properties");
            const char *src = json_string_value(json_object_get(props, "source"));
            const char *tgt = json_string_value(json_object_get(props, "target"));
            const char *other = NULL;
            if (same_id(view, src, id))
                other = tgt;
            else if (same_id(view, tgt, id))
                other = src;
            if (!other)
                continue;
            json_t *oj = clams_mmif_resolve(mmif, view, other);
            /* A short id that names a document stays short; else the long form. */
            const char *oid = other;
            if (!strchr(other, ':')) {
                const char *l = long_id(view, other, buf, sizeof buf);
                if (clams_mmif_lookup(mmif, l))
                    oid = l;
            }
            int rc = fn(view, a, oid, oj, data);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- Time --------------------------------------------------------------------------- */

clams_time_unit_t clams_time_unit_parse(const char *u)
{
    static const struct {
        const char *name;
        clams_time_unit_t unit;
    } names[] = {
        {"m", CLAMS_TIME_MILLISECONDS},
        {"ms", CLAMS_TIME_MILLISECONDS},
        {"msec", CLAMS_TIME_MILLISECONDS},
        {"millisecond", CLAMS_TIME_MILLISECONDS},
        {"milliseconds", CLAMS_TIME_MILLISECONDS},
        {"s", CLAMS_TIME_SECONDS},
        {"se", CLAMS_TIME_SECONDS},
        {"sec", CLAMS_TIME_SECONDS},
        {"second", CLAMS_TIME_SECONDS},
        {"seconds", CLAMS_TIME_SECONDS},
        {"f", CLAMS_TIME_FRAMES},
        {"fr", CLAMS_TIME_FRAMES},
        {"frame", CLAMS_TIME_FRAMES},
        {"frames", CLAMS_TIME_FRAMES},
        {"i", CLAMS_TIME_ISO},
        {"iso", CLAMS_TIME_ISO},
        {"isoformat", CLAMS_TIME_ISO},
    };
    if (!u)
        return CLAMS_TIME_INVALID;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(u, names[i].name) == 0)
            return names[i].unit;
    return CLAMS_TIME_INVALID;
}

/* Python's round(x, 3): x correctly rounded to 3 decimals (glibc's printf is
 * exact and rounds ties to even, as Python's dtoa does). */
static double round3(double x)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", x);
    return strtod(buf, NULL);
}

int clams_time_convert(double t, const char *in_unit, const char *out_unit, double fps, double *out,
                       clams_error_t *err)
{
    clams_time_unit_t in = clams_time_unit_parse(in_unit);
    clams_time_unit_t to = clams_time_unit_parse(out_unit);
    if (!out)
        return CLAMS_EINVAL;
    if (in == CLAMS_TIME_INVALID)
        return fail(err, CLAMS_EINVAL, "not a supported time unit: %s",
                    in_unit ? in_unit : "(none)");
    if (to == CLAMS_TIME_INVALID)
        return fail(err, CLAMS_EINVAL, "not a supported time unit: %s",
                    out_unit ? out_unit : "(none)");
    if (in == CLAMS_TIME_ISO || to == CLAMS_TIME_ISO)
        return fail(err, CLAMS_EINVAL,
                    "ISO times are strings: use clams_time_from_iso/clams_time_to_iso");
    if (in == to) {
        *out = t;
        return 0;
    }
    if ((in == CLAMS_TIME_FRAMES || to == CLAMS_TIME_FRAMES) && !(fps > 0))
        return fail(err, CLAMS_EINVAL, "converting frames needs a frame rate above 0 (got %g)",
                    fps);
    double r;
    if (in == CLAMS_TIME_MILLISECONDS)
        r = to == CLAMS_TIME_SECONDS ? t / 1000 : nearbyint(t / 1000 * fps);
    else if (in == CLAMS_TIME_SECONDS)
        r = to == CLAMS_TIME_MILLISECONDS ? nearbyint(t * 1000) : nearbyint(t * fps);
    else
        r = to == CLAMS_TIME_SECONDS ? t / fps : nearbyint(round3(t / fps) * 1000);
    *out = r;
    return 0;
}

int clams_time_from_iso(const char *iso, double *ms, clams_error_t *err)
{
    int h, m, s, n = 0;
    char frac[8] = "";
    if (!iso || !ms || sscanf(iso, "%2d:%2d:%2d.%7[0-9]%n", &h, &m, &s, frac, &n) != 4 ||
        iso[n] != '\0' || strlen(frac) > 6 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 ||
        s > 59 || !(iso[0] >= '0' && iso[0] <= '9'))
        return fail(err, CLAMS_EINVAL,
                    "invalid time format: ISO format string HH:MM:SS.fff expected, got \"%s\"",
                    iso ? iso : "(null)");
    long us = 0;
    for (int i = 0; i < 6; i++)
        us = us * 10 + (frac[i] && i < (int)strlen(frac) ? frac[i] - '0' : 0);
    /* int(1000 * seconds), seconds as timedelta.total_seconds() computes them
     * (whole microseconds divided by 10**6: exact integers, one rounding). */
    double secs = ((h * 3600.0 + m * 60.0 + s) * 1e6 + (double)us) / 1e6;
    *ms = trunc(1000 * secs);
    return 0;
}

int clams_time_to_iso(double ms, char *buf, size_t size)
{
    if (!buf || size < 13 || !(ms >= 0) || ms > 9e15)
        return CLAMS_EINVAL;
    long long t = (long long)ms % (24LL * 3600 * 1000);
    snprintf(buf, size, "%02lld:%02lld:%02lld.%03lld", t / 3600000, t / 60000 % 60, t / 1000 % 60,
             t % 1000);
    return 0;
}

const char *clams_annotation_time_unit(const clams_view_t *view, const json_t *ann)
{
    json_t *props = json_object_get(ann, "properties");
    const char *u = json_string_value(json_object_get(props, "timeUnit"));
    if (u)
        return u;
    const char *type = json_string_value(json_object_get(ann, "@type"));
    if (view && type) {
        json_t *contains = json_object_get(clams_view_metadata(view), "contains");
        const char *key;
        json_t *val;
        json_object_foreach (contains, key, val) {
            if (!clams_type_matches(key, type, 0))
                continue;
            u = json_string_value(json_object_get(val, "timeUnit"));
            if (u)
                return u;
        }
    }
    return CLAMS_TIME_UNIT_DEFAULT;
}

/* The view holding the annotation `id` (long form), for its metadata. */
static const clams_view_t *view_of(const clams_mmif_t *mmif, const char *id)
{
    const char *colon = id ? strchr(id, ':') : NULL;
    if (!colon)
        return NULL;
    char vid[256];
    size_t n = (size_t)(colon - id);
    if (n >= sizeof vid)
        return NULL;
    memcpy(vid, id, n);
    vid[n] = '\0';
    return clams_mmif_view_by_id(mmif, vid);
}

/* One clams_annotation_time call: targets already resolved (long id ->
 * [start, end]) and those being resolved (-> null), so a shared target is
 * resolved once and a cycle is seen at once; every target visited is
 * charged against the request's CLAMS_LIMIT_TIME_WORK. */
typedef struct {
    const clams_mmif_t *mmif;
    const char *out_unit;
    double fps;
    json_t *memo; /* created on the first target */
} time_walk_t;

static int ann_time(time_walk_t *tw, const clams_view_t *view, const json_t *ann, double *start,
                    double *end, int depth, clams_error_t *err);

/* The time of target `tid` of annotation `lid` (in `view`), memoised. */
static int target_time(time_walk_t *tw, const clams_view_t *view, const char *lid, const char *tid,
                       double *ts, double *te, int depth, clams_error_t *err)
{
    json_t *ta = tid ? clams_mmif_resolve(tw->mmif, view, tid) : NULL;
    if (!ta)
        return fail(err, CLAMS_ENOTFOUND, "annotation %s: target %s not found", lid,
                    tid ? tid : "(not a string)");
    char tbuf[512];
    const char *tlong = long_id(view, tid, tbuf, sizeof tbuf);
    int rc = clams_limit_charge(CLAMS_LIMIT_TIME_WORK, 1, "resolving TimeFrame targets", err);
    if (rc)
        return rc;
    if (!tw->memo && !(tw->memo = json_object()))
        return fail(err, CLAMS_ENOMEM, "out of memory");
    json_t *m = json_object_get(tw->memo, tlong);
    if (json_is_null(m))
        return fail(err, CLAMS_EINVAL, "annotation %s: its targets form a cycle through %s", lid,
                    tlong);
    if (m) {
        *ts = json_real_value(json_array_get(m, 0));
        *te = json_real_value(json_array_get(m, 1));
        return 0;
    }
    if (json_object_set_new(tw->memo, tlong, json_null()))
        return fail(err, CLAMS_ENOMEM, "out of memory");
    const clams_view_t *tv = view_of(tw->mmif, tlong);
    if ((rc = ann_time(tw, tv ? tv : view, ta, ts, te, depth + 1, err)))
        return rc;
    /* Not memoised when jansson cannot hold it (an infinite time). */
    json_t *pair = json_pack("[f,f]", *ts, *te);
    if (pair ? json_object_set_new(tw->memo, tlong, pair) != 0
             : json_object_del(tw->memo, tlong) != 0)
        return fail(err, CLAMS_ENOMEM, "out of memory");
    return 0;
}

static int ann_time(time_walk_t *tw, const clams_view_t *view, const json_t *ann, double *start,
                    double *end, int depth, clams_error_t *err)
{
    const char *id = clams_document_id(ann);
    if (!id)
        id = "(no id)";
    char lbuf[512];
    const char *lid = long_id(view, id, lbuf, sizeof lbuf);
    if (depth > 8)
        return fail(err, CLAMS_EINVAL, "annotation %s: targets nested too deep", lid);
    const char *out_unit = tw->out_unit;
    double fps = tw->fps;
    json_t *props = json_object_get(ann, "properties");
    const char *unit = clams_annotation_time_unit(view, ann);
    json_t *tp = json_object_get(props, "timePoint");
    json_t *js = json_object_get(props, "start"), *je = json_object_get(props, "end");
    json_t *targets = json_object_get(props, "targets");
    double s, e;
    int rc;
    if (json_is_number(tp)) {
        if ((rc = clams_time_convert(json_number_value(tp), unit, out_unit, fps, &s, err)))
            return rc;
        *start = s;
        if (end)
            *end = s;
        return 0;
    }
    if (json_is_array(targets) && (js || je))
        return fail(err, CLAMS_EINVAL,
                    "annotation %s has both targets and start/end: anchors are ambiguous", lid);
    if (json_is_number(js) && json_is_number(je)) {
        clams_error_t mine = {0};
        if ((rc = clams_time_convert(json_number_value(js), unit, out_unit, fps, &s, &mine)) ||
            (rc = clams_time_convert(json_number_value(je), unit, out_unit, fps, &e, &mine)))
            return fail(err, rc, "annotation %s: %s", lid, mine.text);
        *start = s;
        if (end)
            *end = e;
        return 0;
    }
    if (json_is_array(targets) && json_array_size(targets) > 0) {
        double lo = INFINITY, hi = -INFINITY;
        size_t i;
        json_t *t;
        json_array_foreach (targets, i, t) {
            double ts, te;
            if ((rc = target_time(tw, view, lid, json_string_value(t), &ts, &te, depth, err)))
                return rc;
            lo = ts < lo ? ts : lo;
            hi = te > hi ? te : hi;
        }
        *start = lo;
        if (end)
            *end = hi;
        return 0;
    }
    return fail(err, CLAMS_EINVAL, "annotation %s has no time (no timePoint, start/end or targets)",
                lid);
}

int clams_annotation_time(const clams_mmif_t *mmif, const clams_view_t *view, const json_t *ann,
                          const char *out_unit, double fps, double *start, double *end,
                          clams_error_t *err)
{
    if (!mmif || !ann || !start)
        return CLAMS_EINVAL;
    time_walk_t tw = {.mmif = mmif, .out_unit = out_unit, .fps = fps};
    int rc = ann_time(&tw, view, ann, start, end, 0, err);
    json_decref(tw.memo);
    return rc;
}

/* ---- Text offsets --------------------------------------------------------------------- */

size_t clams_utf8_cp_offset(const char *text, size_t len, size_t byte_offset)
{
    if (!text)
        return 0;
    if (byte_offset > len)
        byte_offset = len;
    size_t cps = 0;
    for (size_t i = 0; i < byte_offset;) {
        size_t l = clams__utf8_seq((const unsigned char *)text + i, len - i);
        i += l ? l : 1;
        cps++;
    }
    return cps;
}

size_t clams_utf8_byte_offset(const char *text, size_t len, size_t cp_offset)
{
    if (!text)
        return 0;
    size_t i = 0;
    for (size_t cps = 0; i < len && cps < cp_offset; cps++) {
        size_t l = clams__utf8_seq((const unsigned char *)text + i, len - i);
        i += l ? l : 1;
    }
    return i > len ? len : i;
}
