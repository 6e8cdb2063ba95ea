/* The MMIF 1.1.0 JSON schema (draft-04) written out in C. It runs on every
 * request, so it walks the tree once without building schema objects; like
 * python-jsonschema without a format checker, "format" is not enforced, and
 * minLength counts code points. The first violation is reported with its
 * JSON pointer and the failing keyword. */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"
#include "mmif/mmif_internal.h"

typedef struct {
    clams_error_t *err;
    char path[CLAMS_ERROR_PATH_LEN];
    size_t len;
} vctx_t;

/* Appends "/token" (JSON-pointer escaped); returns the old length. */
static size_t push(vctx_t *c, const char *tok)
{
    size_t old = c->len;
    if (c->len + 1 < sizeof(c->path))
        c->path[c->len++] = '/';
    for (const char *p = tok; *p && c->len + 2 < sizeof(c->path); p++) {
        if (*p == '~' || *p == '/') {
            c->path[c->len++] = '~';
            c->path[c->len++] = *p == '~' ? '0' : '1';
        } else {
            c->path[c->len++] = *p;
        }
    }
    c->path[c->len] = '\0';
    return old;
}

static size_t push_index(vctx_t *c, size_t i)
{
    char tmp[24];
    snprintf(tmp, sizeof(tmp), "%zu", i);
    return push(c, tmp);
}

static void pop(vctx_t *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

static int fail(vctx_t *c, const char *rule, const char *msg, const char *arg)
{
    return clams__error_set(c->err, CLAMS_ESCHEMA, c->len ? c->path : "", rule, "%s%s%s%s",
                            c->len ? c->path : "(root)", ": ", msg, arg ? arg : "");
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int fail_type(vctx_t *c, const json_t *v, const char *want)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "expected %s, found %s", want, type_name(v));
    return fail(c, "type", msg, NULL);
}

static int check_object(vctx_t *c, const json_t *v)
{
    return json_is_object(v) ? 0 : fail_type(c, v, "an object");
}

static int check_array(vctx_t *c, const json_t *v)
{
    return json_is_array(v) ? 0 : fail_type(c, v, "an array");
}

/* A string of at least min code points (min 0: any string). */
static int check_string(vctx_t *c, const json_t *v, size_t min)
{
    if (!json_is_string(v))
        return fail_type(c, v, "a string");
    if (min && clams__utf8_len(json_string_value(v), json_string_length(v)) < min) {
        char msg[96];
        snprintf(msg, sizeof(msg), "string shorter than %zu character%s", min, min == 1 ? "" : "s");
        return fail(c, "minLength", msg, NULL);
    }
    return 0;
}

/* Checks obj[key] with fn when present. */
#define CHILD(c, obj, key, call)                        \
    do {                                                \
        json_t *child_ = json_object_get((obj), (key)); \
        if (child_) {                                   \
            size_t old_ = push((c), (key));             \
            int rc_ = call;                             \
            if (rc_)                                    \
                return rc_;                             \
            pop((c), old_);                             \
        }                                               \
    } while (0)

static int check_required(vctx_t *c, const json_t *obj, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i]))
            return fail(c, "required", "missing required property ", keys[i]);
    return 0;
}

/* Called after check_required: a document that lacks what MMIF needs is told
 * so first ("missing required property metadata" for {"foo": 1}), before
 * what it has too much of. */
static int check_no_extra(vctx_t *c, const json_t *obj, const char *const *keys, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v) {
        size_t i = 0;
        while (i < n && strcmp(k, keys[i]) != 0)
            i++;
        if (i == n)
            return fail(c, "additionalProperties", "property not allowed: ", k);
    }
    return 0;
}

static int check_annotation(vctx_t *c, const json_t *a)
{
    static const char *const keys[] = {"@type", "properties"};
    int rc;
    if ((rc = check_object(c, a)) || (rc = check_required(c, a, keys, 2)) ||
        (rc = check_no_extra(c, a, keys, 2)))
        return rc;
    CHILD(c, a, "@type", check_string(c, child_, 1));
    json_t *props = json_object_get(a, "properties");
    size_t old = push(c, "properties");
    static const char *const idkey[] = {"id"};
    if ((rc = check_object(c, props)) || (rc = check_required(c, props, idkey, 1)))
        return rc;
    CHILD(c, props, "id", check_string(c, child_, 1));
    pop(c, old);
    return 0;
}

/* An array whose every item must pass `item` (annotations, views, warnings). */
typedef int (*item_check_fn)(vctx_t *c, const json_t *item);

static int check_each(vctx_t *c, const json_t *arr, item_check_fn item)
{
    int rc;
    if ((rc = check_array(c, arr)))
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach (arr, i, a) {
        size_t old = push_index(c, i);
        if ((rc = item(c, a)))
            return rc;
        pop(c, old);
    }
    return 0;
}

static int check_annotations(vctx_t *c, const json_t *arr)
{
    return check_each(c, arr, check_annotation);
}

static int check_any_string(vctx_t *c, const json_t *s)
{
    return check_string(c, s, 0);
}

static int check_string_array(vctx_t *c, const json_t *arr)
{
    return check_each(c, arr, check_any_string);
}

static bool is_http_key(const char *k)
{
    return strncmp(k, "http://", 7) == 0 || strncmp(k, "https://", 8) == 0;
}

static int check_contains(vctx_t *c, const json_t *obj)
{
    int rc;
    if ((rc = check_object(c, obj)))
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v) {
        if (!is_http_key(k))
            return fail(c, "additionalProperties", "key does not match ^https?:// : ", k);
        size_t old = push(c, k);
        if ((rc = check_object(c, v)))
            return rc;
        pop(c, old);
    }
    return 0;
}

static int check_error(vctx_t *c, const json_t *e)
{
    static const char *const req[] = {"message"};
    int rc;
    if ((rc = check_object(c, e)))
        return rc;
    CHILD(c, e, "message", check_string(c, child_, 1));
    CHILD(c, e, "stackTrace", check_string(c, child_, 0));
    return check_required(c, e, req, 1);
}

/* ".+" as Python's re.search reads it: some character other than "\n". */
static bool matches_dot_plus(const char *k)
{
    for (; *k; k++)
        if (*k != '\n')
            return true;
    return false;
}

static int check_str_str_map(vctx_t *c, const json_t *obj)
{
    int rc;
    if ((rc = check_object(c, obj)))
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v) {
        if (!matches_dot_plus(k))
            continue;
        size_t old = push(c, k);
        if (!json_is_string(v)) {
            if (!json_is_array(v))
                return fail(c, "anyOf", "expected a string or an array of strings, found ",
                            type_name(v));
            size_t i;
            json_t *s;
            json_array_foreach (v, i, s)
                if (!json_is_string(s))
                    return fail(c, "anyOf",
                                "expected a string or an array of strings, "
                                "found an array holding ",
                                type_name(s));
        }
        pop(c, old);
    }
    return 0;
}

static int check_view_metadata(vctx_t *c, const json_t *md)
{
    int rc;
    if ((rc = check_object(c, md)))
        return rc;
    CHILD(c, md, "timestamp", check_string(c, child_, 0));
    CHILD(c, md, "app", check_string(c, child_, 7));
    CHILD(c, md, "contains", check_contains(c, child_));
    CHILD(c, md, "error", check_error(c, child_));
    CHILD(c, md, "warnings", check_string_array(c, child_));
    CHILD(c, md, "parameters", check_str_str_map(c, child_));
    CHILD(c, md, "appConfiguration", check_object(c, child_));
    bool app = json_object_get(md, "app") != NULL;
    int n =
        app * ((json_object_get(md, "contains") != NULL) +
               (json_object_get(md, "warnings") != NULL) + (json_object_get(md, "error") != NULL));
    if (n != 1)
        return fail(c, "oneOf",
                    n == 0 ? "needs \"app\" and one of \"contains\", \"warnings\", \"error\""
                           : "has more than one of \"contains\", \"warnings\", \"error\"",
                    NULL);
    return 0;
}

static int check_view(vctx_t *c, const json_t *v)
{
    static const char *const keys[] = {"id", "metadata", "annotations"};
    int rc;
    if ((rc = check_object(c, v)) || (rc = check_required(c, v, keys, 3)) ||
        (rc = check_no_extra(c, v, keys, 3)))
        return rc;
    CHILD(c, v, "id", check_string(c, child_, 1));
    CHILD(c, v, "metadata", check_view_metadata(c, child_));
    CHILD(c, v, "annotations", check_annotations(c, child_));
    return 0;
}

static int check_views(vctx_t *c, const json_t *arr)
{
    return check_each(c, arr, check_view);
}

static int check_mmif_metadata(vctx_t *c, const json_t *md)
{
    static const char *const req[] = {"mmif"};
    int rc;
    if ((rc = check_object(c, md)))
        return rc;
    CHILD(c, md, "mmif", check_string(c, child_, 7));
    return check_required(c, md, req, 1);
}

int clams_mmif_validate_json(const json_t *root, clams_error_t *err)
{
    static const char *const keys[] = {"metadata", "documents", "views"};
    vctx_t c = {.err = err};
    int rc;
    if ((rc = check_object(&c, root)) || (rc = check_required(&c, root, keys, 3)) ||
        (rc = check_no_extra(&c, root, keys, 3)))
        return rc;
    CHILD(&c, root, "metadata", check_mmif_metadata(&c, child_));
    CHILD(&c, root, "documents", check_annotations(&c, child_));
    CHILD(&c, root, "views", check_views(&c, child_));
    return 0;
}
