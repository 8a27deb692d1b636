/* The hot loop of the exact PDQ index (hotline/hashlist/index.py): multi-index hashing.
 *
 * A 256-bit PDQ code is cut into m substrings (bit ranges, bit 0 = the most significant bit of
 * the first byte, as the hex form reads). Each substring has a table: the positions of every
 * base entry sorted by the substring's value, an offset table addressed directly by the
 * value's top `prefix` bits, and the remaining low bits (at most 8) of each entry's value,
 * in the same order ("suffix"). Pigeonhole (generalised): if the full distance is at most r
 * and table t is given radius R_t with sum(R_t + 1) > r, then for some t the substring differs
 * by at most R_t bits. So every entry within r is found by enumerating, for each table, the
 * prefixes within R_t of the query's prefix and keeping, in each such bucket, the entries
 * whose suffix is within R_t minus the prefix's flips; every candidate is then verified on
 * all 256 bits. A candidate found in table t is reported only if no earlier table would have
 * found it (its substring distance there exceeds that table's radius), so each entry comes
 * out once, without a "seen" set.
 *
 * Everything here reads buffers that Python owns (numpy views of the memory-mapped index
 * file) and releases the GIL while it works; queries are spread over threads in blocks.
 * `brute` is the plain scan used for the small in-memory delta and by the tests.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CODE_BYTES 32
#define MAX_TABLES 64
#define MAX_RADIUS 16

typedef struct {
    int start, width, prefix, radius;
    const uint32_t *offsets; /* 2^prefix + 1 entries */
    const uint32_t *pos;     /* n entries */
    const uint8_t *suffix;   /* n entries */
    uint64_t mask[4];        /* the substring's bits, in the native loads of the code */
} table_t;

typedef struct {
    uint32_t *pos;
    uint8_t *dist;
    size_t len, cap;
    int failed;
} out_t;

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t load_be64(const uint8_t *p) { return __builtin_bswap64(load64(p)); }

/* `width` (<= 32) bits of the code from bit `start`, bit 0 being the top bit of byte 0. */
static inline uint32_t extract(const uint64_t be[4], int start, int width) {
    int word = start >> 6, off = start & 63;
    uint64_t m = (width == 64) ? ~0ULL : ((1ULL << width) - 1);
    if (off + width <= 64) return (uint32_t)((be[word] >> (64 - off - width)) & m);
    int high = 64 - off, low = width - high;
    uint64_t top = be[word] & ((1ULL << high) - 1);
    return (uint32_t)(((top << low) | (be[word + 1] >> (64 - low))) & m);
}

static int push(out_t *out, uint32_t pos, uint8_t dist) {
    if (out->len == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        uint32_t *p = realloc(out->pos, cap * sizeof(uint32_t));
        if (!p) { out->failed = 1; return -1; }
        out->pos = p;
        uint8_t *d = realloc(out->dist, cap);
        if (!d) { out->failed = 1; return -1; }
        out->dist = d;
        out->cap = cap;
    }
    out->pos[out->len] = pos;
    out->dist[out->len] = dist;
    out->len++;
    return 0;
}

typedef struct {
    uint32_t *items;
    uint8_t *table;
    size_t len, cap;
} cands_t;

static int cand_push(cands_t *c, uint32_t pos, uint8_t table) {
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        uint32_t *p = realloc(c->items, cap * sizeof(uint32_t));
        if (!p) return -1;
        c->items = p;
        uint8_t *t = realloc(c->table, cap);
        if (!t) return -1;
        c->table = t;
        c->cap = cap;
    }
    c->items[c->len] = pos;
    c->table[c->len] = table;
    c->len++;
    return 0;
}

typedef struct {
    const uint8_t *codes;
    const uint8_t *queries;
    const table_t *tables;
    int ntables;
    int threshold;
    size_t nqueries;
    size_t block;   /* queries per block */
    size_t nblocks;
    out_t *outs;    /* one per block */
    size_t *counts; /* matches per query */
    size_t next;    /* next block to take */
    pthread_mutex_t lock;
    /* brute force */
    size_t ncodes;
    int brute;
} job_t;

static size_t take_block(job_t *job) {
    pthread_mutex_lock(&job->lock);
    size_t b = job->next++;
    pthread_mutex_unlock(&job->lock);
    return b;
}

/* A bucket to scan: table, prefix, query suffix, flips left for the suffix, its range. */
typedef struct {
    uint32_t prefix, suffix, lo, hi;
    uint8_t table, left;
} bucket_t;

typedef struct {
    bucket_t *items;
    size_t len, cap;
} buckets_t;

static int bucket_push(buckets_t *bs, uint8_t table, uint32_t prefix, uint32_t suffix, int left) {
    if (bs->len == bs->cap) {
        size_t cap = bs->cap ? bs->cap * 2 : 4096;
        bucket_t *p = realloc(bs->items, cap * sizeof(bucket_t));
        if (!p) return -1;
        bs->items = p;
        bs->cap = cap;
    }
    bucket_t *b = &bs->items[bs->len++];
    b->table = table;
    b->prefix = prefix;
    b->suffix = suffix;
    b->left = (uint8_t)left;
    return 0;
}

/* Prefixes within the table's radius of `prefix`, flipping only bits below `below`. */
static int enum_prefixes(const table_t *t, int ti, uint32_t prefix, uint32_t suffix, int below,
                         int used, buckets_t *bs) {
    if (bucket_push(bs, (uint8_t)ti, prefix, suffix, t->radius - used)) return -1;
    if (used == t->radius) return 0;
    for (int b = below - 1; b >= 0; b--)
        if (enum_prefixes(t, ti, prefix ^ (1U << b), suffix, b, used + 1, bs)) return -1;
    return 0;
}

/* How far ahead each stage prefetches: enough misses in flight to hide the memory's latency,
 * few enough that the prefetched lines are still in cache when they are used. */
#ifndef AHEAD
#define AHEAD 16
#endif

typedef struct {
    cands_t c;
    buckets_t b;
} scratch_t;

/* One query, in stages so that the memory reads of many buckets and candidates overlap:
 * 1. list every bucket to scan (no memory read); 2. read each bucket's range from the offset
 * table; 3. scan the buckets' suffixes, keeping candidate positions; 4. verify each candidate
 * on all 256 bits and keep it if no earlier table found it. */
static void search_one(job_t *job, size_t qi, scratch_t *sc, out_t *out) {
    const uint8_t *q = job->queries + qi * CODE_BYTES;
    uint64_t be[4], qn[4];
    for (int i = 0; i < 4; i++) {
        be[i] = load_be64(q + 8 * i);
        qn[i] = load64(q + 8 * i);
    }
    cands_t *c = &sc->c;
    buckets_t *bs = &sc->b;
    c->len = 0;
    bs->len = 0;
    for (int ti = 0; ti < job->ntables; ti++) {
        const table_t *t = &job->tables[ti];
        if (t->radius < 0) continue;
        uint32_t key = extract(be, t->start, t->width);
        int sbits = t->width - t->prefix;
        uint32_t prefix = key >> sbits, suffix = key & ((1U << sbits) - 1);
        if (enum_prefixes(t, ti, prefix, suffix, t->prefix, 0, bs)) {
            out->failed = 1;
            return;
        }
    }
    bucket_t *B = bs->items;
    size_t nb = bs->len;
    for (size_t k = 0; k < nb && k < AHEAD; k++)
        __builtin_prefetch(&job->tables[B[k].table].offsets[B[k].prefix]);
    for (size_t k = 0; k < nb; k++) {
        if (k + AHEAD < nb)
            __builtin_prefetch(&job->tables[B[k + AHEAD].table].offsets[B[k + AHEAD].prefix]);
        const uint32_t *o = job->tables[B[k].table].offsets;
        B[k].lo = o[B[k].prefix];
        B[k].hi = o[B[k].prefix + 1];
    }
    for (size_t k = 0; k < nb && k < AHEAD; k++) {
        const table_t *t = &job->tables[B[k].table];
        __builtin_prefetch(&t->suffix[B[k].lo]);
        __builtin_prefetch(&t->pos[B[k].lo]);
    }
    for (size_t k = 0; k < nb; k++) {
        if (k + AHEAD < nb) {
            const table_t *u = &job->tables[B[k + AHEAD].table];
            __builtin_prefetch(&u->suffix[B[k + AHEAD].lo]);
            __builtin_prefetch(&u->pos[B[k + AHEAD].lo]);
        }
        const bucket_t *b = &B[k];
        const table_t *t = &job->tables[b->table];
        int sbits = t->width - t->prefix;
        if (b->left >= sbits) {
            for (uint32_t e = b->lo; e < b->hi; e++)
                if (cand_push(c, t->pos[e], b->table)) { out->failed = 1; return; }
        } else {
            const uint8_t *s = t->suffix;
            for (uint32_t e = b->lo; e < b->hi; e++)
                if (__builtin_popcount((uint32_t)(s[e] ^ b->suffix)) <= b->left)
                    if (cand_push(c, t->pos[e], b->table)) { out->failed = 1; return; }
        }
    }
    size_t before = out->len;
    for (size_t k = 0; k < c->len && k < AHEAD; k++)
        __builtin_prefetch(job->codes + (size_t)c->items[k] * CODE_BYTES);
    for (size_t k = 0; k < c->len; k++) {
        if (k + AHEAD < c->len)
            __builtin_prefetch(job->codes + (size_t)c->items[k + AHEAD] * CODE_BYTES);
        uint32_t pos = c->items[k];
        const uint8_t *code = job->codes + (size_t)pos * CODE_BYTES;
        uint64_t x[4];
        int d = 0;
        for (int i = 0; i < 4; i++) {
            x[i] = qn[i] ^ load64(code + 8 * i);
            d += __builtin_popcountll(x[i]);
        }
        if (d > job->threshold) continue;
        int found_before = 0;
        for (int tj = 0; tj < c->table[k]; tj++) {
            const table_t *u = &job->tables[tj];
            if (u->radius < 0) continue;
            int sd = 0;
            for (int i = 0; i < 4; i++) sd += __builtin_popcountll(x[i] & u->mask[i]);
            if (sd <= u->radius) {
                found_before = 1;
                break;
            }
        }
        if (!found_before && push(out, pos, (uint8_t)d)) return;
    }
    job->counts[qi] = out->len - before;
}

static void brute_one(job_t *job, size_t qi, out_t *out) {
    const uint8_t *q = job->queries + qi * CODE_BYTES;
    uint64_t qn[4];
    for (int i = 0; i < 4; i++) qn[i] = load64(q + 8 * i);
    size_t before = out->len;
    for (size_t e = 0; e < job->ncodes; e++) {
        const uint8_t *code = job->codes + e * CODE_BYTES;
        int d = 0;
        for (int i = 0; i < 4; i++) d += __builtin_popcountll(qn[i] ^ load64(code + 8 * i));
        if (d <= job->threshold && push(out, (uint32_t)e, (uint8_t)d)) return;
    }
    job->counts[qi] = out->len - before;
}

static void *worker(void *arg) {
    job_t *job = arg;
    scratch_t sc = {0};
    for (;;) {
        size_t b = take_block(job);
        if (b >= job->nblocks) break;
        out_t *out = &job->outs[b];
        size_t end = (b + 1) * job->block;
        if (end > job->nqueries) end = job->nqueries;
        for (size_t qi = b * job->block; qi < end && !out->failed; qi++) {
            if (job->brute)
                brute_one(job, qi, out);
            else
                search_one(job, qi, &sc, out);
        }
    }
    free(sc.c.items);
    free(sc.c.table);
    free(sc.b.items);
    return NULL;
}

/* Runs the job on `nthreads` threads (this one included) and returns
 * (counts bytes: uint64 per query, positions bytes: uint32, distances bytes: uint8). */
static PyObject *run(job_t *job, int nthreads) {
    job->block = job->nqueries / ((size_t)nthreads * 8) + 1;
    if (job->block > 64) job->block = 64;
    job->nblocks = (job->nqueries + job->block - 1) / job->block;
    job->outs = calloc(job->nblocks ? job->nblocks : 1, sizeof(out_t));
    job->counts = calloc(job->nqueries ? job->nqueries : 1, sizeof(size_t));
    if (!job->outs || !job->counts) {
        free(job->outs);
        free(job->counts);
        return PyErr_NoMemory();
    }
    job->next = 0;
    pthread_mutex_init(&job->lock, NULL);
    if (nthreads < 1) nthreads = 1;
    if ((size_t)nthreads > job->nblocks) nthreads = job->nblocks ? (int)job->nblocks : 1;
    pthread_t threads[64];
    int started = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (int i = 1; i < nthreads && i < 64; i++)
        if (pthread_create(&threads[started], NULL, worker, job) == 0) started++;
    worker(job);
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    Py_END_ALLOW_THREADS;
    pthread_mutex_destroy(&job->lock);

    size_t total = 0;
    int failed = 0;
    for (size_t b = 0; b < job->nblocks; b++) {
        total += job->outs[b].len;
        failed |= job->outs[b].failed;
    }
    PyObject *result = NULL;
    if (failed) {
        PyErr_NoMemory();
    } else {
        PyObject *counts = PyBytes_FromStringAndSize(NULL, job->nqueries * sizeof(uint64_t));
        PyObject *pos = PyBytes_FromStringAndSize(NULL, total * sizeof(uint32_t));
        PyObject *dist = PyBytes_FromStringAndSize(NULL, total);
        if (counts && pos && dist) {
            uint64_t *cp = (uint64_t *)PyBytes_AS_STRING(counts);
            for (size_t i = 0; i < job->nqueries; i++) cp[i] = job->counts[i];
            char *pp = PyBytes_AS_STRING(pos), *dp = PyBytes_AS_STRING(dist);
            for (size_t b = 0; b < job->nblocks; b++) {
                memcpy(pp, job->outs[b].pos, job->outs[b].len * sizeof(uint32_t));
                memcpy(dp, job->outs[b].dist, job->outs[b].len);
                pp += job->outs[b].len * sizeof(uint32_t);
                dp += job->outs[b].len;
            }
            result = PyTuple_Pack(3, counts, pos, dist);
        }
        Py_XDECREF(counts);
        Py_XDECREF(pos);
        Py_XDECREF(dist);
    }
    for (size_t b = 0; b < job->nblocks; b++) {
        free(job->outs[b].pos);
        free(job->outs[b].dist);
    }
    free(job->outs);
    free(job->counts);
    return result;
}

static int get_buffer(PyObject *obj, Py_buffer *view, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous buffer", what);
        return -1;
    }
    return 0;
}

/* search(codes, queries, tables, threshold, nthreads)
 * tables: sequence of (start, width, prefix, radius, offsets, pos, suffix). */
static PyObject *py_search(PyObject *self, PyObject *args) {
    PyObject *codes_obj, *queries_obj, *tables_obj;
    int threshold, nthreads;
    if (!PyArg_ParseTuple(args, "OOOii", &codes_obj, &queries_obj, &tables_obj, &threshold,
                          &nthreads))
        return NULL;
    if (threshold < 0 || threshold > 255) {
        PyErr_SetString(PyExc_ValueError, "threshold must be 0 to 255");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(tables_obj, "tables must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t ntables = PySequence_Fast_GET_SIZE(seq);
    if (ntables < 1 || ntables > MAX_TABLES) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "between 1 and 64 tables");
        return NULL;
    }
    Py_buffer codes = {0}, queries = {0};
    Py_buffer views[MAX_TABLES][3];
    int nviews = 0;
    table_t tables[MAX_TABLES];
    PyObject *result = NULL;
    if (get_buffer(codes_obj, &codes, "codes") < 0) goto done_seq;
    if (get_buffer(queries_obj, &queries, "queries") < 0) goto done_codes;
    if (codes.len % CODE_BYTES || queries.len % CODE_BYTES) {
        PyErr_SetString(PyExc_ValueError, "codes and queries are 32 bytes each");
        goto done;
    }
    size_t n = codes.len / CODE_BYTES;
    int total_units = 0;
    for (Py_ssize_t i = 0; i < ntables; i++) {
        PyObject *spec = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *offs, *pos, *suf;
        table_t *t = &tables[i];
        if (!PyArg_ParseTuple(spec, "iiiiOOO", &t->start, &t->width, &t->prefix, &t->radius,
                              &offs, &pos, &suf))
            goto done;
        if (t->width < 1 || t->width > 32 || t->start < 0 || t->start + t->width > 256 ||
            t->prefix < 0 || t->prefix > t->width || t->width - t->prefix > 8 ||
            t->radius > MAX_RADIUS) {
            PyErr_SetString(PyExc_ValueError, "bad table layout");
            goto done;
        }
        if (get_buffer(offs, &views[i][0], "offsets") < 0) goto done;
        nviews = (int)i * 3 + 1;
        if (get_buffer(pos, &views[i][1], "pos") < 0) goto done;
        nviews++;
        if (get_buffer(suf, &views[i][2], "suffix") < 0) goto done;
        nviews++;
        if ((size_t)views[i][0].len != (((size_t)1 << t->prefix) + 1) * sizeof(uint32_t) ||
            (size_t)views[i][1].len != n * sizeof(uint32_t) || (size_t)views[i][2].len != n) {
            PyErr_SetString(PyExc_ValueError, "table sizes do not match the codes");
            goto done;
        }
        t->offsets = views[i][0].buf;
        t->pos = views[i][1].buf;
        t->suffix = views[i][2].buf;
        uint8_t m[CODE_BYTES] = {0};
        for (int b = t->start; b < t->start + t->width; b++) m[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
        for (int k = 0; k < 4; k++) t->mask[k] = load64(m + 8 * k);
        if (t->radius >= 0) total_units += t->radius + 1;
    }
    if (total_units <= threshold) {
        PyErr_SetString(PyExc_ValueError, "the radii do not cover the threshold");
        goto done;
    }
    job_t job = {0};
    job.codes = codes.buf;
    job.queries = queries.buf;
    job.tables = tables;
    job.ntables = (int)ntables;
    job.threshold = threshold;
    job.nqueries = queries.len / CODE_BYTES;
    job.ncodes = n;
    result = run(&job, nthreads);
done:
    for (int i = 0; i < nviews; i++) PyBuffer_Release(&views[i / 3][i % 3]);
    PyBuffer_Release(&queries);
done_codes:
    PyBuffer_Release(&codes);
done_seq:
    Py_DECREF(seq);
    return result;
}

/* brute(codes, queries, threshold, nthreads): every code within threshold, by scanning. */
static PyObject *py_brute(PyObject *self, PyObject *args) {
    PyObject *codes_obj, *queries_obj;
    int threshold, nthreads;
    if (!PyArg_ParseTuple(args, "OOii", &codes_obj, &queries_obj, &threshold, &nthreads))
        return NULL;
    Py_buffer codes, queries;
    if (get_buffer(codes_obj, &codes, "codes") < 0) return NULL;
    if (get_buffer(queries_obj, &queries, "queries") < 0) {
        PyBuffer_Release(&codes);
        return NULL;
    }
    PyObject *result = NULL;
    if (codes.len % CODE_BYTES || queries.len % CODE_BYTES) {
        PyErr_SetString(PyExc_ValueError, "codes and queries are 32 bytes each");
    } else if ((size_t)codes.len / CODE_BYTES > 0xFFFFFFFFULL) {
        PyErr_SetString(PyExc_ValueError, "too many codes for one scan");
    } else {
        job_t job = {0};
        job.codes = codes.buf;
        job.queries = queries.buf;
        job.threshold = threshold;
        job.nqueries = queries.len / CODE_BYTES;
        job.ncodes = codes.len / CODE_BYTES;
        job.brute = 1;
        result = run(&job, nthreads);
    }
    PyBuffer_Release(&codes);
    PyBuffer_Release(&queries);
    return result;
}

/* build_table(codes, start, width, prefix) -> (offsets, pos, suffix) as bytes: a counting sort
 * of the entries by the substring's prefix, stable (entries of a bucket in position order), so
 * it equals numpy's stable argsort of the prefixes. */
static PyObject *py_build_table(PyObject *self, PyObject *args) {
    PyObject *codes_obj;
    int start, width, prefix;
    if (!PyArg_ParseTuple(args, "Oiii", &codes_obj, &start, &width, &prefix)) return NULL;
    if (width < 1 || width > 32 || start < 0 || start + width > 256 || prefix < 0 ||
        prefix > width || width - prefix > 8 || prefix > 30) {
        PyErr_SetString(PyExc_ValueError, "bad table layout");
        return NULL;
    }
    Py_buffer codes;
    if (get_buffer(codes_obj, &codes, "codes") < 0) return NULL;
    size_t n = codes.len / CODE_BYTES;
    size_t nb = (size_t)1 << prefix;
    int sbits = width - prefix;
    PyObject *offs = PyBytes_FromStringAndSize(NULL, (nb + 1) * sizeof(uint32_t));
    PyObject *pos = PyBytes_FromStringAndSize(NULL, n * sizeof(uint32_t));
    PyObject *suf = PyBytes_FromStringAndSize(NULL, n);
    uint32_t *keys = malloc((n ? n : 1) * sizeof(uint32_t));
    PyObject *result = NULL;
    if (!offs || !pos || !suf || !keys || n > 0xFFFFFFFFULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto out;
    }
    uint32_t *o = (uint32_t *)PyBytes_AS_STRING(offs);
    uint32_t *p = (uint32_t *)PyBytes_AS_STRING(pos);
    uint8_t *s = (uint8_t *)PyBytes_AS_STRING(suf);
    const uint8_t *c = codes.buf;
    Py_BEGIN_ALLOW_THREADS;
    memset(o, 0, (nb + 1) * sizeof(uint32_t));
    for (size_t e = 0; e < n; e++) {
        uint64_t be[4];
        for (int i = 0; i < 4; i++) be[i] = load_be64(c + e * CODE_BYTES + 8 * i);
        keys[e] = extract(be, start, width);
        o[(keys[e] >> sbits) + 1]++;
    }
    for (size_t b = 0; b < nb; b++) o[b + 1] += o[b];
    /* o[b] is now the start of bucket b; fill with a moving cursor, then shift back. */
    for (size_t e = 0; e < n; e++) {
        uint32_t k = keys[e], b = k >> sbits;
        uint32_t at = o[b]++;
        p[at] = (uint32_t)e;
        s[at] = (uint8_t)(k & ((1U << sbits) - 1));
    }
    memmove(o + 1, o, nb * sizeof(uint32_t));
    o[0] = 0;
    Py_END_ALLOW_THREADS;
    result = PyTuple_Pack(3, offs, pos, suf);
out:
    free(keys);
    Py_XDECREF(offs);
    Py_XDECREF(pos);
    Py_XDECREF(suf);
    PyBuffer_Release(&codes);
    return result;
}

static PyMethodDef methods[] = {
    {"search", py_search, METH_VARARGS, "Multi-index search of a batch of queries."},
    {"brute", py_brute, METH_VARARGS, "Every code within the threshold, by scanning them all."},
    {"build_table", py_build_table, METH_VARARGS, "One substring table, by counting sort."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pdqkernel", "The compiled kernel of the exact PDQ index.", 0,
    methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pdqkernel(void) { return PyModuleDef_Init(&module); }
