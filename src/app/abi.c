/* Reading an app's declaration with the struct sizes it was built with.
 *
 * An app's arrays (parameters, input/output and their alternatives,
 * key/value lists) are laid out with the element sizes of the header the app
 * was compiled against (clams_abi_t, passed by the clams_main macro). Here
 * every element is copied into this library's own struct: the bytes the app
 * has, then zeros for members added since, which every added member reads as
 * "not set". Everything above this file sees one layout, the current one. */
#include <stdlib.h>
#include <string.h>

#include "app/abi.h"
#include "common/internal.h"

/* The copy and every array it points to, freed together. */
typedef struct decl_s {
    clams_app_t app; /* first: a clams_app_t * to it is a decl_t * */
    void **blocks;
    size_t nblocks;
} decl_t;

static void *keep(decl_t *d, size_t size)
{
    void **grown = realloc(d->blocks, (d->nblocks + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    d->blocks = grown;
    void *p = calloc(1, size ? size : 1);
    if (p)
        d->blocks[d->nblocks++] = p;
    return p;
}

/* Element i of an array with the app's stride, copied into a zeroed `have`. */
static void elem(void *have, size_t have_size, const void *arr, size_t stride, size_t i)
{
    memset(have, 0, have_size);
    memcpy(have, (const char *)arr + i * stride, stride < have_size ? stride : have_size);
}

static const clams_kv_t *import_kv(decl_t *d, const clams_kv_t *in, size_t stride, int *bad)
{
    if (!in)
        return NULL;
    clams_kv_t e;
    size_t n = 0;
    for (elem(&e, sizeof(e), in, stride, 0); e.key; elem(&e, sizeof(e), in, stride, ++n))
        ;
    clams_kv_t *out = keep(d, (n + 1) * sizeof(*out));
    if (!out) {
        *bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        elem(&out[i], sizeof(*out), in, stride, i);
    return out;
}

static bool io_end(const clams_io_spec_t *io)
{
    return !io->type && !io->one_of;
}

static const clams_io_spec_t *import_io(decl_t *d, const clams_io_spec_t *in,
                                        const clams_abi_t *abi, int depth, int *bad)
{
    if (!in)
        return NULL;
    clams_io_spec_t e;
    size_t n = 0, stride = abi->io_spec_size;
    for (elem(&e, sizeof(e), in, stride, 0); !io_end(&e); elem(&e, sizeof(e), in, stride, ++n))
        ;
    clams_io_spec_t *out = keep(d, (n + 1) * sizeof(*out));
    if (!out) {
        *bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n && !*bad; i++) {
        elem(&out[i], sizeof(*out), in, stride, i);
        out[i].properties = import_kv(d, out[i].properties, abi->kv_size, bad);
        /* Alternatives are one level deep (metadata.c reads no deeper). */
        out[i].one_of = depth == 0 ? import_io(d, out[i].one_of, abi, 1, bad) : NULL;
    }
    return out;
}

static const clams_param_spec_t *import_params(decl_t *d, const clams_param_spec_t *in,
                                               size_t stride, int *bad)
{
    if (!in)
        return NULL;
    clams_param_spec_t e;
    size_t n = 0;
    for (elem(&e, sizeof(e), in, stride, 0); e.name; elem(&e, sizeof(e), in, stride, ++n))
        ;
    clams_param_spec_t *out = keep(d, (n + 1) * sizeof(*out));
    if (!out) {
        *bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        elem(&out[i], sizeof(*out), in, stride, i);
    return out;
}

/* The smallest sizes any released header had: an app claiming less was not
 * built against clams-c. */
static int check_abi(const clams_abi_t *abi, clams_error_t *err)
{
    if (abi->version > CLAMS_ABI_VERSION)
        return clams__error_set(err, CLAMS_EMETADATA, NULL, "abi",
                                "the app was built against clams-c ABI %u, newer than this "
                                "library's (%u): install a newer libclams",
                                abi->version, (unsigned)CLAMS_ABI_VERSION);
    if (abi->app_size != sizeof(clams_app_t) || abi->kv_size < 2 * sizeof(char *) ||
        abi->param_spec_size < offsetof(clams_param_spec_t, choices) + sizeof(void *) ||
        abi->io_spec_size < offsetof(clams_io_spec_t, one_of) + sizeof(void *))
        return clams__error_set(err, CLAMS_EMETADATA, NULL, "abi",
                                "the app's struct sizes (app %u, parameter %u, io %u, kv %u "
                                "bytes) match no clams-c ABI",
                                abi->app_size, abi->param_spec_size, abi->io_spec_size,
                                abi->kv_size);
    return 0;
}

clams_app_t *clams__app_import(const clams_app_t *app, const clams_abi_t *abi, clams_error_t *err)
{
    if (!abi)
        abi = clams_abi_current();
    if (check_abi(abi, err) != 0)
        return NULL;
    decl_t *d = calloc(1, sizeof(*d));
    if (!d) {
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    int bad = 0;
    d->app = *app;
    d->app.parameters = import_params(d, app->parameters, abi->param_spec_size, &bad);
    d->app.input = import_io(d, app->input, abi, 0, &bad);
    d->app.output = import_io(d, app->output, abi, 0, &bad);
    d->app.analyzer_versions = import_kv(d, app->analyzer_versions, abi->kv_size, &bad);
    d->app.more = import_kv(d, app->more, abi->kv_size, &bad);
    if (bad) {
        clams__app_import_free(&d->app);
        clams__error_set(err, CLAMS_ENOMEM, NULL, NULL, "out of memory");
        return NULL;
    }
    return &d->app;
}

void clams__app_import_free(clams_app_t *copy)
{
    decl_t *d = (decl_t *)copy;
    if (!d)
        return;
    for (size_t i = 0; i < d->nblocks; i++)
        free(d->blocks[i]);
    free(d->blocks);
    free(d);
}
