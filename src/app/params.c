/* Runtime parameter specs (app ones plus the universal ones), refinement of a
 * request's query into appConfiguration, the raw `parameters` record, the
 * envelope merge, and the public clams_param_* readers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/params.h"
#include "common/internal.h"

/* tfSamplingMode's values, indexed by clams_tf_mode_t: the one place they
 * are spelled (the choices, the parser and the typed reader use it). */
static const char *const sampling_choices[] = {
    [CLAMS_TF_REPRESENTATIVES] = "representatives",
    [CLAMS_TF_SINGLE] = "single",
    [CLAMS_TF_ALL] = "all",
    NULL,
};

/* The four parameters every app gets, appended after its own. */
static const clams_param_spec_t universal_params[] = {
    {.name = CLAMS__UP_PRETTY,
     .description = "The JSON body of the HTTP response will be re-formatted with 2-space "
                    "indentation",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = CLAMS__UP_RUNNING_TIME,
     .description = "The running time of the app will be recorded in the view metadata",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "true"},
    {.name = CLAMS__UP_HW_FETCH,
     .description = "The hardware information (architecture, GPU and vRAM) will be recorded "
                    "in the view metadata",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {.name = CLAMS__UP_TF_SAMPLING_MODE,
     .description =
         "Sampling mode for TimeFrame annotations. Has no effect when the app does not process "
         "TimeFrames. \"representatives\" uses all representative timepoints if present, "
         "otherwise skips the TimeFrame. \"single\" uses the middle representative if present, "
         "otherwise extracts an image from the midpoint of the start/end interval (midpoint is "
         "calculated by floor division of the sum of start and end). \"all\" uses all target "
         "timepoints if present, otherwise extracts all images from the time interval.",
     .type = CLAMS_PARAM_STRING,
     .default_value = "representatives",
     .choices = sampling_choices},
    {0},
};

clams__universal_t clams__params_universal(const json_t *config)
{
    return (clams__universal_t){
        .pretty = json_is_true(json_object_get(config, CLAMS__UP_PRETTY)),
        .running_time = json_is_true(json_object_get(config, CLAMS__UP_RUNNING_TIME)),
        .hw_fetch = json_is_true(json_object_get(config, CLAMS__UP_HW_FETCH)),
    };
}

bool clams__query_flag(const clams__query_t *q, const char *key)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return clams__cast_bool(q->items[i].value);
    return false;
}

static const char *type_name(clams_param_type_t t)
{
    switch (t) {
    case CLAMS_PARAM_STRING: return "string";
    case CLAMS_PARAM_INTEGER: return "integer";
    case CLAMS_PARAM_NUMBER: return "number";
    case CLAMS_PARAM_BOOLEAN: return "boolean";
    case CLAMS_PARAM_MAP: return "map";
    }
    return NULL;
}

static size_t strv_len(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

const clams__pspec_t *clams__pspecs_find(const clams__pspecs_t *specs, const char *name)
{
    for (size_t i = 0; i < specs->count; i++)
        if (strcmp(specs->items[i].name, name) == 0)
            return &specs->items[i];
    return NULL;
}

static json_t *strings_json(const char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(v[i]));
    return arr;
}

/* A choice is one scalar (map choices stay strings). */
static json_t *cast_choices(const clams__pspec_t *p, const char *const *choices, clams_error_t *err)
{
    clams__pspec_t scalar = *p;
    scalar.multivalued = true;
    if (p->type == CLAMS_PARAM_MAP)
        scalar.type = CLAMS_PARAM_STRING;
    return clams__param_cast(&scalar, choices, strv_len(choices), err);
}

static bool value_in_choices(const json_t *choices, const json_t *v)
{
    size_t i;
    json_t *c;
    json_array_foreach (choices, i, c)
        if (json_equal(c, (json_t *)v))
            return true;
    return false;
}

static bool in_range(const clams__pspec_t *p, double x)
{
    if ((p->range & CLAMS_RANGE_FINITE) && !isfinite(x))
        return false;
    /* Written so that NaN fails every bound. */
    if ((p->range & CLAMS_RANGE_MIN) && !(x >= p->minimum))
        return false;
    if ((p->range & CLAMS_RANGE_MIN_EXCLUSIVE) && !(x > p->minimum))
        return false;
    if ((p->range & CLAMS_RANGE_MAX) && !(x <= p->maximum))
        return false;
    return true;
}

/* "a finite number >= 0 and <= 100": the range in words, for messages. */
static void range_words(const clams__pspec_t *p, char *buf, size_t size)
{
    char lo[40] = "", hi[40] = "";
    if (p->range & (CLAMS_RANGE_MIN | CLAMS_RANGE_MIN_EXCLUSIVE))
        snprintf(lo, sizeof(lo), " %s %.17g",
                 (p->range & CLAMS_RANGE_MIN_EXCLUSIVE) ? ">" : ">=", p->minimum);
    if (p->range & CLAMS_RANGE_MAX)
        snprintf(hi, sizeof(hi), "%s <= %.17g", lo[0] ? " and" : "", p->maximum);
    snprintf(buf, size, "a %snumber%s%s", (p->range & CLAMS_RANGE_FINITE) ? "finite " : "", lo, hi);
}

/* A cast number: JSON has no NaN or infinity, so clams__number_json keeps
 * those as the strings "nan", "inf" and "-inf". */
static double number_of(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        return json_number_value(v);
    return strcmp(s, "nan") == 0 ? NAN : strcmp(s, "-inf") == 0 ? -INFINITY : INFINITY;
}

/* Every number in v (a number, or an array of them) within the range. */
static int check_range(const clams__pspec_t *p, const json_t *v, const char *raw,
                       clams_error_t *err)
{
    if (!p->range)
        return 0;
    bool ok = true;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            ok = ok && in_range(p, number_of(e));
    } else {
        ok = in_range(p, number_of(v));
    }
    if (ok)
        return 0;
    char words[128];
    range_words(p, words, sizeof(words));
    return clams__error_set(err, CLAMS_EPARAM, p->name, "range",
                            "Value for parameter \"%s\" must be %s (got %s)", p->name, words,
                            raw ? raw : "?");
}

static int add_spec(clams__pspecs_t *out, const clams_param_spec_t *ps, clams_error_t *err)
{
    if (!ps->name || !*ps->name)
        return clams__error_set(err, CLAMS_EMETADATA, "parameters", "name",
                                "a parameter has no name");
    if (!type_name(ps->type))
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "type",
                                "parameter \"%s\" has an unknown type", ps->name);
    if (clams__pspecs_find(out, ps->name))
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "unique",
                                "parameter \"%s\" is declared more than once (the universal "
                                "parameters pretty, runningTime, hwFetch and tfSamplingMode "
                                "are added by the SDK)",
                                ps->name);
    clams__pspec_t *p = &out->items[out->count];
    memset(p, 0, sizeof(*p));
    p->name = ps->name;
    p->description = ps->description ? ps->description : "";
    p->type = ps->type;
    p->multivalued =
        ps->type == CLAMS_PARAM_MAP || (ps->type != CLAMS_PARAM_BOOLEAN && ps->multivalued);
    p->range = ps->range;
    p->minimum = ps->minimum;
    p->maximum = ps->maximum;
    out->count++;
    if (p->range && p->type != CLAMS_PARAM_INTEGER && p->type != CLAMS_PARAM_NUMBER)
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "range",
                                "parameter \"%s\": a range is for integer and number "
                                "parameters",
                                ps->name);
    clams_error_t cerr = {0};
    if (ps->choices && !(p->choices = cast_choices(p, ps->choices, &cerr)) &&
        cerr.code == CLAMS_ENOMEM)
        return clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
    if (ps->choices && !p->choices)
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "choices",
                                "parameter \"%s\": a choice does not fit its type: %s", ps->name,
                                cerr.text);
    const char *one[2] = {ps->default_value, NULL};
    const char *const *defs = ps->default_values  ? ps->default_values
                              : ps->default_value ? one
                                                  : NULL;
    if (!defs) {
        p->required = true;
        return 0;
    }
    size_t n = p->multivalued ? strv_len(defs) : 1;
    if (!(p->def_config = clams__param_cast(p, defs, n, &cerr)) && cerr.code == CLAMS_ENOMEM)
        return clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
    if (!p->def_config)
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "default",
                                "parameter \"%s\": the default does not fit its type: %s", ps->name,
                                cerr.text);
    if (check_range(p, p->def_config, defs[0], &cerr) != 0)
        return clams__error_set(err, CLAMS_EMETADATA, ps->name, "range",
                                "parameter \"%s\": the default is out of its range: %s", ps->name,
                                cerr.text);
    p->def_meta = p->type == CLAMS_PARAM_MAP ? strings_json(defs, n) : json_incref(p->def_config);
    if (p->choices && !p->multivalued && !value_in_choices(p->choices, p->def_config))
        clams__log(CLAMS_LOG_WARNING, 0,
                   "parameter \"%s\": its default is not one of its "
                   "choices",
                   ps->name);
    return p->def_meta ? 0 : CLAMS_ENOMEM;
}

int clams__pspecs_build(clams__pspecs_t *out, const clams_param_spec_t *app_params,
                        clams_error_t *err)
{
    size_t n_app = 0;
    while (app_params && app_params[n_app].name)
        n_app++;
    size_t n_univ = sizeof(universal_params) / sizeof(universal_params[0]) - 1;
    out->count = 0;
    out->items = calloc(n_app + n_univ, sizeof(*out->items));
    if (!out->items)
        return CLAMS_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_app; i++)
        rc = add_spec(out, &app_params[i], err);
    for (size_t i = 0; rc == 0 && i < n_univ; i++)
        rc = add_spec(out, &universal_params[i], err);
    if (rc)
        clams__pspecs_free(out);
    return rc;
}

void clams__pspecs_free(clams__pspecs_t *specs)
{
    for (size_t i = 0; i < specs->count; i++) {
        json_decref(specs->items[i].def_config);
        json_decref(specs->items[i].def_meta);
        json_decref(specs->items[i].choices);
    }
    free(specs->items);
    specs->items = NULL;
    specs->count = 0;
}

json_t *clams__pspecs_metadata(const clams__pspecs_t *specs)
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && i < specs->count; i++) {
        const clams__pspec_t *p = &specs->items[i];
        json_t *o = json_object();
        bad |= json_object_set_new(o, "name", json_string(p->name));
        bad |= json_object_set_new(o, "description", json_string(p->description));
        bad |= json_object_set_new(o, "type", json_string(type_name(p->type)));
        if (p->choices)
            bad |= json_object_set(o, "choices", p->choices);
        if (p->def_meta)
            bad |= json_object_set(o, "default", p->def_meta);
        bad |= json_object_set_new(o, "multivalued", json_boolean(p->multivalued));
        bad |= json_array_append_new(arr, o);
    }
    if (bad) { /* metadata is served whole or not at all */
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static int check_choices(const clams__pspec_t *p, const json_t *v, const char *const *raw,
                         clams_error_t *err)
{
    if (!p->choices)
        return 0;
    bool ok = true;
    if (p->type == CLAMS_PARAM_MAP) {
        for (size_t i = 0; ok && raw[i]; i++) {
            json_t *s = json_string(raw[i]);
            ok = value_in_choices(p->choices, s);
            json_decref(s);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            ok = ok && value_in_choices(p->choices, e);
    } else {
        ok = value_in_choices(p->choices, v);
    }
    if (ok)
        return 0;
    char *list = json_dumps(p->choices, JSON_COMPACT | JSON_ENCODE_ANY);
    clams__error_set(err, CLAMS_EPARAM, p->name, "choices",
                     "Value for parameter \"%s\" must be one of %s (got %s)", p->name,
                     list ? list : "its choices", raw[0]);
    free(list);
    return CLAMS_EPARAM;
}

json_t *clams__params_refine(const clams__pspecs_t *specs, const clams__query_t *q,
                             clams_error_t *err)
{
    json_t *conf = json_object();
    if (!conf) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < specs->count; i++) {
        const clams__pspec_t *p = &specs->items[i];
        size_t n;
        const char **vals = clams__query_values(q, p->name, &n);
        json_t *v = NULL;
        if (!vals) {
            clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
            json_decref(conf);
            return NULL;
        }
        if (n > 0) {
            v = clams__param_cast(p, vals, n, err);
            if (v &&
                (check_choices(p, v, vals, err) != 0 || check_range(p, v, vals[0], err) != 0)) {
                json_decref(v);
                v = NULL;
            }
        } else if (!p->required) {
            v = json_incref(p->def_config);
        } else {
            clams__error_set(err, CLAMS_EPARAM, p->name, "required",
                             "Required parameter \"%s\" was not given", p->name);
        }
        free(vals);
        if (!v) {
            json_decref(conf);
            return NULL;
        }
        if (json_object_set_new(conf, p->name, v) != 0) {
            clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
            json_decref(conf);
            return NULL;
        }
    }
    return conf;
}

/* True when key already appeared before position i. */
static bool seen_before(const clams__query_t *q, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(q->items[j].key, q->items[i].key) == 0)
            return true;
    return false;
}

json_t *clams__params_raw(const clams__pspecs_t *specs, const clams__query_t *q)
{
    if (q->count == 0)
        return NULL;
    json_t *raw = json_object();
    int bad = !raw;
    for (size_t i = 0; !bad && i < q->count; i++) {
        const char *key = q->items[i].key;
        if (seen_before(q, i))
            continue;
        const clams__pspec_t *p = clams__pspecs_find(specs, key);
        if (p && p->multivalued) {
            size_t n;
            const char **vals = clams__query_values(q, key, &n);
            char *repr = vals ? clams__py_repr_list(vals, n) : NULL;
            bad |= json_object_set_new(raw, key, repr ? json_string(repr) : NULL);
            free(repr);
            free(vals);
        } else {
            bad |= json_object_set_new(raw, key, json_string(q->items[i].value));
        }
    }
    if (bad) { /* never a partial record: NULL (q->count > 0 says why) */
        json_decref(raw);
        return NULL;
    }
    return raw;
}

int clams__params_undefined_warnings(const clams__pspecs_t *specs, const clams__query_t *q,
                                     json_t *warnings)
{
    for (size_t i = 0; i < q->count; i++) {
        const char *key = q->items[i].key;
        if (seen_before(q, i) || clams__pspecs_find(specs, key))
            continue;
        size_t n;
        const char **vals = clams__query_values(q, key, &n);
        char *repr = vals ? clams__py_repr_list(vals, n) : NULL;
        char *msg = NULL;
        if (repr && asprintf(&msg,
                             "An undefined parameter \"%s\" (value: \"%s\") was passed "
                             "and ignored",
                             key, repr) < 0)
            msg = NULL;
        int rc = msg ? json_array_append_new(warnings, json_string(msg)) : CLAMS_ENOMEM;
        free(msg);
        free(repr);
        free(vals);
        if (rc)
            return CLAMS_ENOMEM;
    }
    return 0;
}

/* clams-python's str() of one envelope value. Ownership: new (free). */
static char *py_str(const json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING: return strdup(json_string_value(v));
    case JSON_TRUE: return strdup("True");
    case JSON_FALSE: return strdup("False");
    case JSON_NULL: return strdup("None");
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strdup(buf);
    case JSON_REAL: clams__py_float_str(json_real_value(v), buf, sizeof(buf)); return strdup(buf);
    default: /* nested containers: their JSON text is the closest useful spelling */
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

static int add_normalised(clams__query_t *out, const char *key, const json_t *v)
{
    int rc = 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            char *s = py_str(e);
            rc = s ? clams__query_add(out, key, s) : CLAMS_ENOMEM;
            free(s);
            if (rc)
                return rc;
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach ((json_t *)v, k, e) {
            char *s = py_str(e), *kv = NULL;
            if (s && asprintf(&kv, "%s:%s", k, s) < 0)
                kv = NULL;
            rc = kv ? clams__query_add(out, key, kv) : CLAMS_ENOMEM;
            free(s);
            free(kv);
            if (rc)
                return rc;
        }
    } else {
        char *s = py_str(v);
        rc = s ? clams__query_add(out, key, s) : CLAMS_ENOMEM;
        free(s);
    }
    return rc;
}

static bool query_has(const clams__query_t *q, const char *key)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return true;
    return false;
}

int clams__params_merge_envelope(const json_t *env_params, const clams__query_t *q,
                                 clams__query_t *out)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach ((json_t *)env_params, key, v) {
        if (query_has(q, key)) {
            for (size_t i = 0; rc == 0 && i < q->count; i++)
                if (strcmp(q->items[i].key, key) == 0)
                    rc = clams__query_add(out, key, q->items[i].value);
        } else {
            rc = add_normalised(out, key, v);
        }
        if (rc)
            return rc;
    }
    for (size_t i = 0; rc == 0 && i < q->count; i++)
        if (!json_object_get(env_params, q->items[i].key))
            rc = clams__query_add(out, q->items[i].key, q->items[i].value);
    return rc;
}

/* ---- Public readers ------------------------------------------------------- */

const json_t *clams_param_get(const clams_params_t *params, const char *name)
{
    return params && name ? json_object_get(params->config, name) : NULL;
}

long long clams_param_int(const clams_params_t *params, const char *name, long long fallback)
{
    const json_t *v = clams_param_get(params, name);
    return json_is_integer(v) ? json_integer_value(v) : fallback;
}

double clams_param_number(const clams_params_t *params, const char *name, double fallback)
{
    const json_t *v = clams_param_get(params, name);
    if (json_is_number(v))
        return json_number_value(v);
    double d;
    if (json_is_string(v) && clams__cast_number(json_string_value(v), &d) == 0 && !isfinite(d))
        return d;
    return fallback;
}

bool clams_param_bool(const clams_params_t *params, const char *name, bool fallback)
{
    const json_t *v = clams_param_get(params, name);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

const char *clams_param_string(const clams_params_t *params, const char *name, const char *fallback)
{
    const json_t *v = clams_param_get(params, name);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

size_t clams_param_count(const clams_params_t *params, const char *name)
{
    const json_t *v = clams_param_get(params, name);
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return v ? 1 : 0;
}

const char *clams_param_string_at(const clams_params_t *params, const char *name, size_t i)
{
    const json_t *v = clams_param_get(params, name);
    if (json_is_array(v))
        return json_string_value(json_array_get(v, i));
    return i == 0 ? json_string_value(v) : NULL;
}

const char *clams_param_map_get(const clams_params_t *params, const char *name, const char *key)
{
    const json_t *v = clams_param_get(params, name);
    return json_is_object(v) && key ? json_string_value(json_object_get(v, key)) : NULL;
}

int clams_tf_mode_parse(const char *name, clams_tf_mode_t *mode)
{
    for (int m = CLAMS_TF_REPRESENTATIVES; name && mode && m <= CLAMS_TF_ALL; m++) {
        if (strcmp(name, sampling_choices[m]) == 0) {
            *mode = (clams_tf_mode_t)m;
            return 0;
        }
    }
    return CLAMS_EINVAL;
}

const char *clams_tf_mode_name(clams_tf_mode_t mode)
{
    return (int)mode >= CLAMS_TF_REPRESENTATIVES && mode <= CLAMS_TF_ALL ? sampling_choices[mode]
                                                                         : NULL;
}

clams_tf_mode_t clams_param_tf_mode(const clams_params_t *params)
{
    clams_tf_mode_t mode;
    /* Refinement checked the value against the choices: parse cannot fail
     * inside a request (the default covers a call outside one). */
    if (clams_tf_mode_parse(clams_param_string(params, CLAMS__UP_TF_SAMPLING_MODE, NULL), &mode) !=
        0)
        mode = CLAMS_TF_REPRESENTATIVES;
    return mode;
}
