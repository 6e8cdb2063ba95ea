/* ocr: a CLAMS app that reads the text on video frames and images with
 * tesseract (its C API, capi.h). Frames come from the TimeFrames an earlier
 * app made (the shot detector's shots, chosen by the request's
 * tfSamplingMode and the tfLabel filter), or, for a video without TimeFrames,
 * one every sampleInterval milliseconds; an ImageDocument is read whole.
 * The output follows doctr-wrapper's layout: for every frame with text, a
 * TextDocument holding it, aligned from the frame's TimePoint; Paragraph,
 * Sentence and Token annotations with their text (Tokens with code point
 * offsets into the TextDocument), each aligned to a BoundingBox on the frame.
 * Frames without text produce nothing. One tesseract instance per worker,
 * created in worker_init. Written against the public clams-c API only. */
#include <clams/clams.h>
#include <clams/media.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tesseract/capi.h>

#define VIDEO_DOC CLAMS_MMIF11_VIDEODOCUMENT
#define IMAGE_DOC CLAMS_MMIF11_IMAGEDOCUMENT
#define TIMEFRAME CLAMS_MMIF11_TIMEFRAME
#define TIMEPOINT CLAMS_MMIF11_TIMEPOINT
#define TEXTDOC   CLAMS_MMIF11_TEXTDOCUMENT
#define PARAGRAPH CLAMS_MMIF11_PARAGRAPH
#define SENTENCE  CLAMS_MMIF11_SENTENCE
#define TOKEN     CLAMS_MMIF11_TOKEN
#define BBOX      CLAMS_MMIF11_BOUNDINGBOX
#define ALIGNMENT CLAMS_MMIF11_ALIGNMENT
#define MAX_LANGS 128

/* ---- Installed languages (found in main, before any worker exists) ---------- */

static char g_datapath[512];
static const char *g_langs[MAX_LANGS + 1];
static size_t g_nlangs;
static const char *g_default_lang = "eng";

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tessdata folder: $TESSDATA_PREFIX (the folder itself, or one holding
 * tessdata/), else Debian's. Its *.traineddata files except osd are the
 * languages. */
static void find_languages(void)
{
    const char *cands[] = {getenv("TESSDATA_PREFIX"), "/usr/share/tesseract-ocr/5/tessdata",
                           "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata"};
    for (size_t c = 0; c < sizeof cands / sizeof cands[0] && !g_nlangs; c++) {
        if (!cands[c] || !cands[c][0])
            continue;
        for (int sub = 0; sub < 2 && !g_nlangs; sub++) {
            char dir[512];
            snprintf(dir, sizeof dir, "%s%s", cands[c], sub ? "/tessdata" : "");
            DIR *d = opendir(dir);
            if (!d)
                continue;
            struct dirent *e;
            while ((e = readdir(d)) && g_nlangs < MAX_LANGS) {
                size_t n = strlen(e->d_name);
                const char *ext = ".traineddata";
                size_t el = strlen(ext);
                if (n <= el || strcmp(e->d_name + n - el, ext) != 0 ||
                    strncmp(e->d_name, "osd.", 4) == 0)
                    continue;
                char *lang = strndup(e->d_name, n - el);
                if (lang)
                    g_langs[g_nlangs++] = lang;
            }
            closedir(d);
            if (g_nlangs)
                snprintf(g_datapath, sizeof g_datapath, "%s", dir);
        }
    }
    qsort(g_langs, g_nlangs, sizeof g_langs[0], cmp_str);
    bool has_eng = false;
    for (size_t i = 0; i < g_nlangs; i++)
        has_eng = has_eng || strcmp(g_langs[i], "eng") == 0;
    if (!has_eng && g_nlangs)
        g_default_lang = g_langs[0];
}

/* ISO 639-1 for the TextDocument's @language where there is one. */
static const char *iso639_1(const char *tess)
{
    static const char *const map[][2] = {
        {"eng", "en"},     {"fra", "fr"},     {"deu", "de"}, {"spa", "es"}, {"ita", "it"},
        {"por", "pt"},     {"nld", "nl"},     {"rus", "ru"}, {"jpn", "ja"}, {"kor", "ko"},
        {"chi_sim", "zh"}, {"chi_tra", "zh"}, {"ara", "ar"}, {"hin", "hi"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], tess) == 0)
            return map[i][1];
    return tess;
}

/* ---- The worker's tesseract ----------------------------------------------------- */

static TessBaseAPI *g_api;
static char g_api_lang[64];

static int tess_load(const char *lang, char *why, size_t ws)
{
    if (g_api && strcmp(g_api_lang, lang) == 0)
        return 0;
    if (!g_api && !(g_api = TessBaseAPICreate())) {
        snprintf(why, ws, "cannot create a tesseract instance");
        return -1;
    }
    g_api_lang[0] = '\0';
    if (TessBaseAPIInit3(g_api, g_datapath[0] ? g_datapath : NULL, lang) != 0) {
        snprintf(why, ws, "tesseract cannot load language \"%s\" from %s", lang,
                 g_datapath[0] ? g_datapath : "its default tessdata");
        return -1;
    }
    /* tesseract's own diagnostics ("Estimating resolution as ...") would go
     * to stderr for every frame. */
    TessBaseAPISetVariable(g_api, "debug_file", "/dev/null");
    TessBaseAPISetPageSegMode(g_api, PSM_AUTO);
    snprintf(g_api_lang, sizeof g_api_lang, "%s", lang);
    return 0;
}

static int ocr_worker_init(void *user, clams_error_t *err)
{
    char why[512];
    if (tess_load(g_default_lang, why, sizeof why) != 0) {
        if (err) {
            err->code = CLAMS_EIO;
            snprintf(err->text, sizeof err->text, "%s", why);
        }
        return CLAMS_EIO;
    }
    return 0;
}

static void ocr_worker_fini(void *user)
{
    if (g_api) {
        TessBaseAPIEnd(g_api);
        TessBaseAPIDelete(g_api);
        g_api = NULL;
    }
}

/* ---- One frame's words ---------------------------------------------------------- */

typedef struct {
    int l, t, r, b;
} box_t;

typedef struct {
    char *text;
    box_t box;
    size_t line;
} word_t;

typedef struct {
    box_t box;
    size_t para;
    size_t first, count; /* words */
} line_t;

typedef struct {
    box_t box;
    size_t first, count; /* lines */
} para_t;

typedef struct {
    word_t *words;
    line_t *lines;
    para_t *paras;
    size_t nwords, nlines, nparas, cwords, clines, cparas;
} page_t;

static void page_free(page_t *p)
{
    for (size_t i = 0; i < p->nwords; i++)
        free(p->words[i].text);
    free(p->words);
    free(p->lines);
    free(p->paras);
    *p = (page_t){0};
}

static void box_union(box_t *a, const box_t *b, bool first)
{
    if (first) {
        *a = *b;
        return;
    }
    a->l = b->l < a->l ? b->l : a->l;
    a->t = b->t < a->t ? b->t : a->t;
    a->r = b->r > a->r ? b->r : a->r;
    a->b = b->b > a->b ? b->b : a->b;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Trims ASCII white space in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Recognises one RGB24 image into page (words at or above min_conf, grouped
 * into tesseract's lines and paragraphs; groups left empty are dropped).
 * Returns 0 or -1 with why. */
static int ocr_image(const clams_image_t *img, double min_conf, page_t *page, char *why, size_t ws)
{
    TessBaseAPISetImage(g_api, img->data, img->width, img->height, 3, img->stride);
    if (TessBaseAPIRecognize(g_api, NULL) != 0) {
        snprintf(why, ws, "tesseract failed to recognise the image");
        return -1;
    }
    TessResultIterator *ri = TessBaseAPIGetIterator(g_api);
    if (!ri)
        return 0; /* nothing found */
    TessPageIterator *pi = TessResultIteratorGetPageIterator(ri);
    bool new_para = true, new_line = true;
    int rc = 0;
    do {
        if (TessPageIteratorIsAtBeginningOf(pi, RIL_PARA))
            new_para = new_line = true;
        else if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
            new_line = true;
        char *raw = TessResultIteratorGetUTF8Text(ri, RIL_WORD);
        if (!raw)
            continue;
        float conf = TessResultIteratorConfidence(ri, RIL_WORD);
        box_t b;
        char *w = trim(raw);
        if (!*w || conf < min_conf ||
            !TessPageIteratorBoundingBox(pi, RIL_WORD, &b.l, &b.t, &b.r, &b.b)) {
            TessDeleteText(raw);
            continue;
        }
        if (new_para || !page->nparas) {
            if (grow((void **)&page->paras, &page->cparas, page->nparas, sizeof(para_t))) {
                TessDeleteText(raw);
                rc = -1;
                break;
            }
            page->paras[page->nparas++] = (para_t){.first = page->nlines};
            new_para = false;
            new_line = true;
        }
        para_t *pa = &page->paras[page->nparas - 1];
        if (new_line) {
            if (grow((void **)&page->lines, &page->clines, page->nlines, sizeof(line_t))) {
                TessDeleteText(raw);
                rc = -1;
                break;
            }
            page->lines[page->nlines++] = (line_t){.para = page->nparas - 1, .first = page->nwords};
            pa->count++;
            new_line = false;
        }
        line_t *ln = &page->lines[page->nlines - 1];
        char *copy = strdup(w);
        TessDeleteText(raw);
        if (!copy || grow((void **)&page->words, &page->cwords, page->nwords, sizeof(word_t))) {
            free(copy);
            rc = -1;
            break;
        }
        page->words[page->nwords++] = (word_t){.text = copy, .box = b, .line = page->nlines - 1};
        box_union(&ln->box, &b, ln->count == 0);
        box_union(&pa->box, &b, pa->count == 1 && ln->count == 0);
        ln->count++;
    } while (TessResultIteratorNext(ri, RIL_WORD));
    TessResultIteratorDelete(ri);
    if (rc != 0)
        snprintf(why, ws, "out of memory");
    return rc;
}

/* ---- Output ---------------------------------------------------------------------- */

typedef struct {
    clams_annotate_ctx_t *ctx;
    clams_view_t *view;
    const char *lang;
    double min_conf;
    size_t documents; /* TextDocuments written */
    char why[600];
} out_t;

static json_t *coords(const box_t *b)
{
    /* Four corners, top-left, top-right, bottom-left, bottom-right, as the
     * MMIF specification's examples; tesseract's box is [l, r) x [t, b). */
    return json_pack("[[i,i],[i,i],[i,i],[i,i]]", b->l, b->t, b->r, b->t, b->l, b->b, b->r, b->b);
}

static int align(out_t *o, const char *source, const char *target)
{
    clams_annotation_t *a = clams_view_add_annotation(o->view, ALIGNMENT);
    return a && clams_annotation_set_str(a, "source", source) == 0 &&
                   clams_annotation_set_str(a, "target", target) == 0
               ? 0
               : -1;
}

/* A BoundingBox for `text_ann` (on document `media_id`), aligned from it. */
static int bbox_for(out_t *o, const char *media_id, const char *text_ann, const box_t *b)
{
    clams_annotation_t *bb = clams_view_add_annotation(o->view, BBOX);
    if (!bb || clams_annotation_set_json_new(bb, "coordinates", coords(b)) != 0 ||
        clams_annotation_set_str(bb, "label", "text") != 0 ||
        clams_annotation_set_str(bb, "document", media_id) != 0)
        return -1;
    return align(o, text_ann, clams_annotation_id(bb));
}

/* Appends s to a growable buffer. */
typedef struct {
    char *s;
    size_t n, cap;
} buf_t;

static int buf_add(buf_t *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n + 1)
            c *= 2;
        char *p = realloc(b->s, c);
        if (!p)
            return -1;
        b->s = p;
        b->cap = c;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

/* Writes one page: the TextDocument (words joined by spaces, lines by "\n",
 * paragraphs by "\n\n", as doctr-wrapper renders a page), its Paragraphs,
 * Sentences (lines) and Tokens with BoundingBoxes, and alignments from each
 * of `sources` (TimePoints or the ImageDocument) to the TextDocument. */
static int write_page(out_t *o, const page_t *p, const char *media_id, const char *const *sources,
                      size_t nsources)
{
    buf_t text = {0};
    size_t *wstart = malloc((p->nwords ? p->nwords : 1) * sizeof *wstart);
    int rc = -1;
    if (!wstart)
        goto done;
    for (size_t pi = 0; pi < p->nparas; pi++) {
        const para_t *pa = &p->paras[pi];
        if (pi && buf_add(&text, "\n\n", 2))
            goto done;
        for (size_t li = pa->first; li < pa->first + pa->count; li++) {
            const line_t *ln = &p->lines[li];
            if (li > pa->first && buf_add(&text, "\n", 1))
                goto done;
            for (size_t wi = ln->first; wi < ln->first + ln->count; wi++) {
                if (wi > ln->first && buf_add(&text, " ", 1))
                    goto done;
                wstart[wi] = text.n;
                if (buf_add(&text, p->words[wi].text, strlen(p->words[wi].text)))
                    goto done;
            }
        }
    }
    clams_annotation_t *td = clams_view_add_annotation(o->view, TEXTDOC);
    if (!td || clams_annotation_set_json_new(
                   td, "text",
                   json_pack("{s:s, s:s}", "@value", text.s, "@language", iso639_1(o->lang))) != 0)
        goto done;
    const char *td_id = clams_annotation_id(td);
    for (size_t i = 0; i < nsources; i++)
        if (align(o, sources[i], td_id) != 0)
            goto done;
    for (size_t pi = 0; pi < p->nparas; pi++) {
        const para_t *pa = &p->paras[pi];
        const line_t *l0 = &p->lines[pa->first], *ll = &p->lines[pa->first + pa->count - 1];
        size_t pstart = wstart[l0->first], pend = wstart[ll->first + ll->count - 1] +
                                                  strlen(p->words[ll->first + ll->count - 1].text);
        clams_annotation_t *para = clams_view_add_annotation(o->view, PARAGRAPH);
        if (!para || clams_annotation_set_str(para, "document", td_id) != 0 ||
            clams_annotation_set_strn(para, "text", text.s + pstart, pend - pstart) != 0 ||
            bbox_for(o, media_id, clams_annotation_id(para), &pa->box) != 0)
            goto done;
        json_t *sentences = json_array();
        for (size_t li = pa->first; li < pa->first + pa->count; li++) {
            const line_t *ln = &p->lines[li];
            const word_t *last = &p->words[ln->first + ln->count - 1];
            size_t ls = wstart[ln->first],
                   le = wstart[ln->first + ln->count - 1] + strlen(last->text);
            clams_annotation_t *se = clams_view_add_annotation(o->view, SENTENCE);
            if (!se ||
                json_array_append_new(sentences, json_string(clams_annotation_id(se))) != 0 ||
                clams_annotation_set_str(se, "document", td_id) != 0 ||
                clams_annotation_set_strn(se, "text", text.s + ls, le - ls) != 0 ||
                bbox_for(o, media_id, clams_annotation_id(se), &ln->box) != 0) {
                json_decref(sentences);
                goto done;
            }
            json_t *tokens = json_array();
            for (size_t wi = ln->first; wi < ln->first + ln->count; wi++) {
                const word_t *w = &p->words[wi];
                size_t bs = wstart[wi], be = bs + strlen(w->text);
                clams_annotation_t *to = clams_view_add_annotation(o->view, TOKEN);
                if (!to ||
                    json_array_append_new(tokens, json_string(clams_annotation_id(to))) != 0 ||
                    clams_annotation_set_str(to, "document", td_id) != 0 ||
                    clams_annotation_set_int(
                        to, "start", (long long)clams_utf8_cp_offset(text.s, text.n, bs)) != 0 ||
                    clams_annotation_set_int(
                        to, "end", (long long)clams_utf8_cp_offset(text.s, text.n, be)) != 0 ||
                    clams_annotation_set_str(to, "text", w->text) != 0 ||
                    bbox_for(o, media_id, clams_annotation_id(to), &w->box) != 0) {
                    json_decref(tokens);
                    json_decref(sentences);
                    goto done;
                }
            }
            if (clams_annotation_set_json_new(se, "targets", tokens) != 0) {
                json_decref(sentences);
                goto done;
            }
        }
        if (clams_annotation_set_json_new(para, "targets", sentences) != 0)
            goto done;
    }
    o->documents++;
    rc = 0;
done:
    free(wstart);
    free(text.s);
    if (rc != 0)
        snprintf(o->why, sizeof o->why, "out of memory writing the output");
    return rc;
}

/* ---- Video frames ---------------------------------------------------------------- */

typedef struct {
    long long frame;
    char *tp; /* the TimePoint's long id, or NULL: one is made when text is found */
} want_t;

typedef struct {
    want_t *w;
    size_t n, cap;
    size_t timeframes, skipped; /* TimeFrames seen / that gave no frame */
    const char *skip_reason;
} wants_t;

static int count_tf(const clams_tf_sample_t *s, void *data)
{
    ((wants_t *)data)->timeframes++;
    return 0;
}

static int want_add(wants_t *ws, long long frame, const char *tp)
{
    if (grow((void **)&ws->w, &ws->cap, ws->n, sizeof(want_t)))
        return -1;
    char *id = tp ? strdup(tp) : NULL;
    if (tp && !id)
        return -1;
    ws->w[ws->n++] = (want_t){frame, id};
    return 0;
}

static int collect_tf(const clams_tf_sample_t *s, void *data)
{
    wants_t *ws = data;
    ws->timeframes++;
    if (s->count == 0) {
        ws->skipped++;
        ws->skip_reason = s->skipped;
        return 0;
    }
    for (size_t i = 0; i < s->count; i++)
        if (want_add(ws, s->frames[i], s->timepoints ? s->timepoints[i] : NULL) != 0)
            return -1;
    return 0;
}

static int cmp_want(const void *a, const void *b)
{
    const want_t *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    if (!x->tp || !y->tp)
        return x->tp ? -1 : (y->tp ? 1 : 0);
    return strcmp(x->tp, y->tp);
}

typedef struct {
    out_t *o;
    const clams_video_t *v;
    const char *vid;
    const wants_t *ws;
    size_t next; /* first want of the next unique frame */
} frames_t;

static int on_frame(long long frame, const clams_image_t *img, void *data)
{
    frames_t *f = data;
    out_t *o = f->o;
    size_t first = f->next, end = first;
    while (end < f->ws->n && f->ws->w[end].frame == frame)
        end++;
    f->next = end;
    page_t page = {0};
    if (ocr_image(img, o->min_conf, &page, o->why, sizeof o->why) != 0) {
        page_free(&page);
        return -1;
    }
    if (page.nwords == 0) {
        page_free(&page);
        return 0;
    }
    const char *sources[64];
    size_t ns = 0;
    for (size_t i = first; i < end && ns < 64; i++)
        if (f->ws->w[i].tp && (ns == 0 || strcmp(sources[ns - 1], f->ws->w[i].tp) != 0))
            sources[ns++] = f->ws->w[i].tp;
    int rc = 0;
    if (ns == 0) { /* a frame no TimePoint names: make one */
        clams_annotation_t *tp = clams_view_add_annotation(o->view, TIMEPOINT);
        double ms = clams_video_frame_time_ms(f->v, frame);
        if (!tp || clams_annotation_set_int(tp, "timePoint", llround(ms)) != 0 ||
            clams_annotation_set_str(tp, "document", f->vid) != 0) {
            snprintf(o->why, sizeof o->why, "out of memory writing the output");
            rc = -1;
        } else {
            sources[ns++] = clams_annotation_id(tp);
        }
    }
    if (rc == 0)
        rc = write_page(o, &page, f->vid, sources, ns);
    page_free(&page);
    return rc;
}

/* A TimeFrame of the request that names a missing TimePoint, is malformed
 * or asks for more frames than the limits allow is the request's fault
 * (400); anything else (memory) is ours (500). */
static int fail_sampling(clams_annotate_ctx_t *ctx, const clams_error_t *err)
{
    const char *why = err->text[0] ? err->text : "out of memory";
    if (err->code == CLAMS_ENOTFOUND || err->code == CLAMS_EINVAL || err->code == CLAMS_ETOOBIG)
        return clams_annotate_reject(ctx, "%s", why);
    return clams_annotate_fail(ctx, "%s", why);
}
static int ocr_video(out_t *o, const clams_mmif_t *mmif, json_t *doc, const clams_params_t *params)
{
    clams_annotate_ctx_t *ctx = o->ctx;
    const char *vid = clams_document_id(doc);
    if (!vid)
        return clams_annotate_fail(ctx, "a VideoDocument without an id");
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open(doc, NULL, &err);
    if (!v)
        return clams_annotate_fail(ctx, "%s", err.text);
    const clams_video_info_t *info = clams_video_info(v);
    clams_tf_sample_opts_t so = CLAMS_TF_SAMPLE_OPTS_INIT;
    so.mode = clams_param_tf_mode(params);
    so.fps = info->fps;
    so.document = vid;
    const char *mode_name = clams_tf_mode_name(so.mode);
    wants_t ws = {0};
    int rc = 0;
    /* Every tfLabel value counts, however many. */
    size_t nl = clams_param_count(params, "tfLabel");
    const char **labels = calloc(nl + 1, sizeof *labels);
    if (!labels) {
        rc = clams_annotate_fail(ctx, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nl; i++)
        labels[i] = clams_param_string_at(params, "tfLabel", i);
    if (clams_tf_sample(mmif, &so, count_tf, &ws, &err) != 0) {
        rc = fail_sampling(ctx, &err);
        goto done;
    }
    if (ws.timeframes > 0) {
        ws.timeframes = 0;
        so.labels = labels;
        if (clams_tf_sample(mmif, &so, collect_tf, &ws, &err) != 0) {
            rc = fail_sampling(ctx, &err);
            goto done;
        }
        if (ws.timeframes == 0)
            rc = clams_annotate_warn(ctx, "document %s: no TimeFrame has a label in tfLabel", vid);
        if (rc == 0 && ws.skipped)
            rc = clams_annotate_warn(ctx,
                                     "document %s: %zu TimeFrame(s) gave no frame under "
                                     "tfSamplingMode=%s (%s)",
                                     vid, ws.skipped, mode_name,
                                     ws.skip_reason ? ws.skip_reason : "no frame");
    } else {
        /* Positive: its declared range is checked before annotate runs. */
        long long step = clams_param_int(params, "sampleInterval", 1000);
        long long last = -1;
        double end_ms = info->duration_ms + (double)step;
        for (double t = 0; t <= end_ms; t += (double)step) {
            long long f;
            if (clams_video_frame_at(v, t, "milliseconds", &f, &err) != 0 || f >= info->frame_count)
                break;
            if (f != last && want_add(&ws, f, NULL) != 0) {
                rc = clams_annotate_fail(ctx, "out of memory");
                goto done;
            }
            last = f;
            /* Jump to the last step before the next frame begins (half a
             * frame before it, by frame_at's rounding), so a video of a few
             * frames at a tiny frame rate costs a few steps, not billions. */
            double next = ((double)f + 0.5) * 1000.0 / info->fps;
            double k = floor(next / (double)step) - 1;
            if (k * (double)step > t)
                t = k * (double)step;
        }
    }
    if (ws.n == 0)
        goto done;
    qsort(ws.w, ws.n, sizeof *ws.w, cmp_want);
    long long *frames = malloc(ws.n * sizeof *frames);
    if (!frames) {
        rc = clams_annotate_fail(ctx, "out of memory");
        goto done;
    }
    size_t nf = 0;
    for (size_t i = 0; i < ws.n; i++)
        if (nf == 0 || frames[nf - 1] != ws.w[i].frame)
            frames[nf++] = ws.w[i].frame;
    frames_t fr = {.o = o, .v = v, .vid = vid, .ws = &ws};
    int vr = clams_video_frames(v, frames, nf, &(clams_frame_opts_t){.format = CLAMS_PIX_RGB24},
                                on_frame, &fr, &err);
    free(frames);
    if (vr != 0)
        rc = clams_annotate_fail(ctx, "document %s: %s", vid, o->why[0] ? o->why : err.text);
done:
    for (size_t i = 0; i < ws.n; i++)
        free(ws.w[i].tp);
    free(ws.w);
    free(labels);
    clams_video_close(v);
    return rc;
}

static int ocr_image_doc(out_t *o, json_t *doc)
{
    const char *id = clams_document_id(doc);
    if (!id)
        return clams_annotate_fail(o->ctx, "an ImageDocument without an id");
    clams_error_t err = {0};
    clams_image_t img = {0};
    if (clams_image_decode(doc, &(clams_frame_opts_t){.format = CLAMS_PIX_RGB24}, &img, &err) != 0)
        return clams_annotate_fail(o->ctx, "%s", err.text);
    page_t page = {0};
    int rc = ocr_image(&img, o->min_conf, &page, o->why, sizeof o->why);
    const char *sources[1] = {id};
    if (rc == 0 && page.nwords)
        rc = write_page(o, &page, id, sources, 1);
    page_free(&page);
    clams_image_release(&img);
    return rc == 0 ? 0 : clams_annotate_fail(o->ctx, "document %s: %s", id, o->why);
}

/* What the document walk carries. */
typedef struct {
    out_t *o;
    clams_mmif_t *mmif;
    const clams_params_t *params;
    size_t found;
} walk_t;

/* Each document in mmif-python's order: videos and images are read. Media
 * documents inside views are passed over: the TimeFrames and Alignments
 * this app reads and writes name top-level documents. Non-zero stops. */
static int on_document(const clams_view_t *view, const char *id, json_t *doc, void *data)
{
    (void)id;
    walk_t *w = data;
    const char *type = json_string_value(json_object_get(doc, "@type"));
    if (view || !type)
        return 0;
    if (clams_type_matches(type, "VideoDocument", 0)) {
        w->found++;
        return ocr_video(w->o, w->mmif, doc, w->params);
    }
    if (clams_type_matches(type, "ImageDocument", 0)) {
        w->found++;
        return ocr_image_doc(w->o, doc);
    }
    return 0;
}

static int ocr_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *params)
{
    out_t o = {.ctx = ctx,
               .lang = clams_param_string(params, "language", g_default_lang),
               .min_conf = clams_param_number(params, "minConfidence", 60.0)};
    if (tess_load(o.lang, o.why, sizeof o.why) != 0)
        return clams_annotate_fail(ctx, "%s", o.why);
    o.view = clams_annotate_add_view(ctx, mmif);
    if (!o.view)
        return clams_annotate_fail(ctx, "out of memory creating a view");
    const char *types[] = {TEXTDOC, PARAGRAPH, SENTENCE, TOKEN, BBOX, ALIGNMENT};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (clams_view_add_contains_new(o.view, types[i], NULL) != 0)
            return clams_annotate_fail(ctx, "out of memory filling the view");
    if (clams_view_add_contains_new(o.view, TIMEPOINT,
                                    json_pack("{s:s}", "timeUnit", "milliseconds")) != 0)
        return clams_annotate_fail(ctx, "out of memory filling the view");
    walk_t w = {.o = &o, .mmif = mmif, .params = params};
    int rc = clams_mmif_foreach_document(mmif, NULL, 0, on_document, &w);
    size_t found = w.found;
    if (rc == 0 && found == 0)
        rc = clams_annotate_warn(ctx, "no VideoDocument or ImageDocument in the input; nothing "
                                      "to do");
    return rc;
}

/* ---- Metadata ---------------------------------------------------------------------- */

static const char *const no_labels[] = {NULL};
static clams_param_spec_t ocr_params[] = {
    {.name = "tfLabel",
     .description = "Labels of the TimeFrames to read (e.g. shot); empty: every TimeFrame.",
     .type = CLAMS_PARAM_STRING,
     .multivalued = true,
     .default_values = no_labels},
    {.name = "sampleInterval",
     .description = "For a VideoDocument without TimeFrames: read one frame every this "
                    "many milliseconds.",
     .type = CLAMS_PARAM_INTEGER,
     .default_value = "1000",
     .range = CLAMS_RANGE_MIN_EXCLUSIVE,
     .minimum = 0},
    {.name = "language",
     .description = "tesseract language (traineddata installed on this host).",
     .type = CLAMS_PARAM_STRING,
     .default_value = "eng"},
    {.name = "minConfidence",
     .description = "Words tesseract is less confident of (0-100) are left out.",
     .type = CLAMS_PARAM_NUMBER,
     .default_value = "60"},
    {0},
};

static const clams_kv_t tf_in_props[] = {{"representatives", "?"}, {"label", "*"}, {0}};
static const clams_io_spec_t ocr_input_docs[] = {
    {.type = VIDEO_DOC,
     .description = "Frames chosen by the TimeFrames, or by sampleInterval "
                    "when there are none."},
    {.type = IMAGE_DOC, .description = "Read whole."},
    {0},
};
static const clams_io_spec_t ocr_input[] = {
    {.one_of = ocr_input_docs},
    {.type = TIMEFRAME,
     .description = "Optional: the frames to read (tfSamplingMode, "
                    "tfLabel).",
     .properties = tf_in_props,
     .optional = true},
    {0},
};
static const clams_io_spec_t ocr_output[] = {
    {.type = TEXTDOC,
     .description = "One per frame (or image) with text: the text, "
                    "words joined by spaces, lines by newlines, paragraphs by blank lines."},
    {.type = PARAGRAPH},
    {.type = SENTENCE, .description = "A line of text."},
    {.type = TOKEN, .description = "A word, with start/end in its TextDocument."},
    {.type = BBOX, .description = "Where a Paragraph, Sentence or Token is on the frame."},
    {.type = ALIGNMENT,
     .description = "TimePoint (or ImageDocument) to TextDocument; "
                    "Paragraph/Sentence/Token to BoundingBox."},
    {.type = TIMEPOINT, .description = "Made for sampled frames no input TimePoint names."},
    {0},
};

static clams_app_t ocr_app = {
    .name = "Tesseract OCR",
    .description = "Reads the text on video frames (those an earlier app's TimeFrames point "
                   "at, or one every sampleInterval milliseconds) and on images with "
                   "tesseract, laid out as doctr-wrapper does: a TextDocument per frame with "
                   "text, Paragraphs, Sentences and Tokens with BoundingBoxes.",
    .app_version = "0.1.0",
    .app_license = "Apache-2.0",
    .analyzer_license = "Apache-2.0",
    .identifier = "ocr",
    .url = "https://github.com/clamsproject/clams-c/tree/main/examples/ocr",
    .input = ocr_input,
    .output = ocr_output,
    .parameters = ocr_params,
    .annotate = ocr_annotate,
    .worker_init = ocr_worker_init,
    .worker_fini = ocr_worker_fini,
};

int main(int argc, char **argv)
{
    find_languages();
    g_langs[g_nlangs] = NULL;
    ocr_params[2].default_value = g_default_lang;
    if (g_nlangs)
        ocr_params[2].choices = g_langs;
    char version[64];
    snprintf(version, sizeof version, "tesseract %s", TessVersion());
    ocr_app.analyzer_version = version;
    return clams_main(&ocr_app, argc, argv);
}
