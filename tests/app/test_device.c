/* clams/device.h: the `device` parameter resolved per request through the
 * whole pipeline (the messages a caller sees: the 500 of device=gpu without a
 * GPU, the warning of auto in a build with a GPU path), the app's init run
 * once per process, and the worker hooks. The app's GPU code is a fake here:
 * an init that succeeds or fails as the test says. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "app/pipeline.h"
#include "clams/clams.h"
#include "../support/check_run.h"

static int init_calls, release_calls;
static bool init_works;

static int fake_init(char *why, size_t why_size)
{
    init_calls++;
    if (init_works)
        return 0;
    snprintf(why, why_size, "no CUDA device visible");
    return -1;
}

static void fake_release(void)
{
    release_calls++;
}

static clams_device_t dev;

/* Records the chosen path as an annotation, so the test reads it back. */
static int dev_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *params)
{
    clams_device_t *d = clams_annotate_user(ctx);
    bool use_gpu = true;
    if (clams_device_choose(ctx, d, clams_param_string(params, "device", "auto"), &use_gpu) != 0)
        return CLAMS_EAPP;
    clams_view_t *view = clams_annotate_add_view(ctx, mmif);
    clams_annotation_t *a = view ? clams_view_add_annotation(view, CLAMS_MMIF11_ANNOTATION) : NULL;
    if (!a || clams_annotation_set_str(a, "path", use_gpu ? "gpu" : "cpu") != 0)
        return clams_annotate_fail(ctx, "out of memory");
    return 0;
}

static const clams_io_spec_t dev_in[] = {{.type = CLAMS_MMIF11_TEXTDOCUMENT}, {0}};
static const clams_io_spec_t dev_out[] = {{.type = CLAMS_MMIF11_ANNOTATION}, {0}};
static const clams_param_spec_t dev_params[] = {CLAMS_DEVICE_PARAM("Where it runs"), {0}};
static const clams_app_t dev_app = {.name = "Device test",
                                    .description = "d",
                                    .app_version = "v1",
                                    .app_license = "MIT",
                                    .identifier = "device-test",
                                    .url = "https://example.org",
                                    .input = dev_in,
                                    .output = dev_out,
                                    .parameters = dev_params,
                                    .annotate = dev_annotate,
                                    .worker_init = clams_device_worker_init,
                                    .worker_fini = clams_device_worker_fini,
                                    .user = &dev};

static const char input[] =
    "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, \"documents\": [{\"@type\": "
    "\"http://mmif.clams.ai/vocabulary/TextDocument/v1\", \"properties\": {\"id\": \"d1\", "
    "\"text\": {\"@value\": \"Hello.\"}}}], \"views\": []}";

/* One request with ?device=<device>: the status and the body. */
static int request(const char *device, char **body)
{
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&dev_app, &err);
    ck_assert_msg(rt, "%s", err.text);
    char qs[64];
    snprintf(qs, sizeof qs, "device=%s", device);
    clams__query_t q = {0};
    ck_assert_int_eq(clams__query_parse(&q, qs), 0);
    clams__response_t r = {0};
    ck_assert_int_eq(clams__app_rt_annotate(rt, &q, input, strlen(input), &r), 0);
    int status = r.status;
    *body = strdup(r.body);
    clams__response_free(&r);
    clams__query_free(&q);
    clams__app_rt_free(rt);
    return status;
}

static void setup(void)
{
    clams_device_t fresh = CLAMS_DEVICE_INIT(fake_init, fake_release);
    dev = fresh;
    init_calls = release_calls = 0;
    init_works = false;
}

START_TEST(test_declaration)
{
    ck_assert_str_eq(dev_params[0].name, "device");
    ck_assert_str_eq(dev_params[0].default_value, "auto");
    ck_assert_str_eq(dev_params[0].description,
                     "Where it runs: auto (the GPU when one is usable), cpu or gpu (fail "
                     "without a GPU). Results are identical.");
    const char *const want[] = {"auto", "cpu", "gpu"};
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(dev_params[0].choices[i], want[i]);
    ck_assert_ptr_null(dev_params[0].choices[3]);
}
END_TEST

START_TEST(test_gpu_usable)
{
    init_works = true;
    char *body;
    const char *want[][2] = {{"auto", "\"gpu\""}, {"gpu", "\"gpu\""}, {"cpu", "\"cpu\""}};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(request(want[i][0], &body), 200);
        ck_assert_msg(strstr(body, want[i][1]), "device=%s: %s", want[i][0], body);
        ck_assert_ptr_null(strstr(body, "warnings"));
        free(body);
    }
    ck_assert_int_eq(init_calls, 1); /* once per process */
    ck_assert(dev.usable);
}
END_TEST

START_TEST(test_no_gpu)
{
    char *body;
    ck_assert_int_eq(request("gpu", &body), 500);
    ck_assert_msg(strstr(body, "device=gpu but no GPU is usable: no CUDA device visible"), "%s",
                  body);
    free(body);
    ck_assert_int_eq(request("auto", &body), 200);
    ck_assert_msg(strstr(body, "\"cpu\""), "%s", body);
    ck_assert_msg(strstr(body, "device=auto: no usable GPU (no CUDA device visible); used the CPU"),
                  "%s", body);
    free(body);
    ck_assert_int_eq(request("cpu", &body), 200);
    ck_assert_ptr_null(strstr(body, "warnings"));
    free(body);
    ck_assert_int_eq(init_calls, 1);
}
END_TEST

/* A build without a GPU path: gpu fails saying so, auto runs quietly. */
START_TEST(test_cpu_only_build)
{
    clams_device_t none = CLAMS_DEVICE_INIT(NULL, NULL);
    dev = none;
    char *body;
    ck_assert_int_eq(request("gpu", &body), 500);
    ck_assert_msg(strstr(body, "device=gpu but no GPU is usable: this build has no CUDA support"),
                  "%s", body);
    free(body);
    ck_assert_int_eq(request("auto", &body), 200);
    ck_assert_msg(strstr(body, "\"cpu\""), "%s", body);
    ck_assert_ptr_null(strstr(body, "warnings"));
    free(body);
    clams_device_worker_fini(&dev); /* no release: nothing to call */
}
END_TEST

START_TEST(test_worker_hooks)
{
    init_works = true;
    clams_error_t err = {0};
    ck_assert_int_eq(clams_device_worker_init(&dev, &err), 0);
    ck_assert_int_eq(clams_device_worker_init(&dev, &err), 0);
    ck_assert_int_eq(init_calls, 1);
    ck_assert(clams_device_usable(&dev));
    clams_device_worker_fini(&dev);
    ck_assert_int_eq(release_calls, 1);
    /* A failing init never fails the worker: the CPU path serves. */
    setup();
    ck_assert_int_eq(clams_device_worker_init(&dev, &err), 0);
    ck_assert_int_eq(err.code, 0);
    ck_assert(!clams_device_usable(&dev));
    ck_assert_str_eq(dev.why, "no CUDA device visible");
}
END_TEST

/* A struct not set with CLAMS_DEVICE_INIT (size 0) is never trusted. */
START_TEST(test_unset_struct)
{
    clams_device_t zero = {0};
    zero.init = fake_init;
    ck_assert(!clams_device_usable(&zero));
    ck_assert_int_eq(init_calls, 0);
    ck_assert_ptr_nonnull(strstr(zero.why, "CLAMS_DEVICE_INIT"));
    ck_assert(!clams_device_usable(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("app_device");
    TCase *tc = tcase_create("device");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_declaration);
    tcase_add_test(tc, test_gpu_usable);
    tcase_add_test(tc, test_no_gpu);
    tcase_add_test(tc, test_cpu_only_build);
    tcase_add_test(tc, test_worker_hooks);
    tcase_add_test(tc, test_unset_struct);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
