/* durable-post-floor: what a durable webhook sender written in C reaches on this machine.
 *
 * `curl-multi-post`'s loop (libcurl multi, keep-alive, 1 KB JSON bodies, concurrency -c) plus the
 * outbox's SQL against libsqlite3: every event is committed (event row + delivery row, transactions
 * of 200, WAL, synchronous=NORMAL, autocheckpoint at 1,000 pages) before it is sent, and every
 * success is recorded (the delivery row's UPDATE, transactions of 64). One thread, no Swift: the
 * floor of "deliveries/s with the durable outbox on" to compare with `curl-multi-post` in the same
 * run (docs/PERFORMANCE.md, "Session 5: delivery").
 *
 *   cc -O2 -o .build/bench/durable-post-floor scripts/durable-post-floor.c -lcurl -lsqlite3
 *   .build/bench/durable-post-floor URL CONCURRENCY REQUESTS [schema]
 *     schema: outbox (default; Sources/Storage/OutboxMigrations.swift as of delivery-007, with `Outbox.record`'s UPDATE for a delivering success)
 *             keyed  (events keyed by rowid with a UNIQUE event_id, deliveries referring to the event's
 *                     rowid with UNIQUE (event_ref, webhook_id): one scattered index instead of two)
 *             minimal (what dedup, resume and the delivery log need without a scattered index: events
 *                     by rowid only, deliveries as in keyed, a per-call table of the highest stored
 *                     sequence — live calls only — upserted per event)
 *             lean   (one rowid table per event and per delivery, no secondary index)
 *             none   (no SQLite at all: curl-multi-post's work with this program's bookkeeping)
 * THREADS=2: the enqueue runs on a second thread (as ours: the ingest thread commits, the sender
 * sends and records), both on one connection behind a mutex.
 * Prints req_per_s and CPU µs per delivery (process user+system).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200
#define RECORD_BATCH 64
#define CALLS 1000

static sqlite3 *db;
static int by_ref;
static sqlite3_stmt *upsert_call;
static sqlite3_stmt *insert_event, *insert_delivery, *update_delivery, *begin_tx, *commit_tx;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static double cpu(void) {
    struct rusage u; getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}
static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) { fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db)); exit(1); }
}
static void step(sqlite3_stmt *s, const char *what) { check(sqlite3_step(s), what); sqlite3_reset(s); }
static size_t discard(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }

/* The delivery table of the `keyed` and `minimal` schemas: rows refer to their event's rowid. */
#define DELIVERY_BY_EVENT_REF \
        "CREATE TABLE outbox_delivery (id INTEGER PRIMARY KEY, event_ref INTEGER NOT NULL REFERENCES outbox_event(id)" \
        " ON DELETE CASCADE, webhook_id INTEGER NOT NULL, webhook_name TEXT NOT NULL, call_id TEXT NOT NULL," \
        " sequence INTEGER NOT NULL, state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed')," \
        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0," \
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT," \
        " success_started_at INTEGER, success_latency_ms INTEGER, UNIQUE (event_ref, webhook_id));" \
        "CREATE INDEX outbox_delivery_failed ON outbox_delivery (id) WHERE state = 'failed';" \
        "CREATE INDEX outbox_delivery_pending_by_id ON outbox_delivery (id) WHERE state = 'pending';" \
        "CREATE INDEX outbox_delivery_retrying ON outbox_delivery (id) WHERE state = 'pending' AND (manual = 1 OR attempts > 0);"

static void open_outbox(const char *schema) {
    const char *path = "/tmp/durable-post-floor.db";
    char p[64];
    unlink(path); snprintf(p, sizeof p, "%s-wal", path); unlink(p); snprintf(p, sizeof p, "%s-shm", path); unlink(p);
    check(sqlite3_open(path, &db), "open");
    const char *outbox =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "CREATE TABLE outbox_event (event_id TEXT PRIMARY KEY NOT NULL, event_type TEXT NOT NULL, tenant TEXT NOT NULL,"
        " call_id TEXT NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE outbox_delivery (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL REFERENCES outbox_event(event_id)"
        " ON DELETE CASCADE, webhook_id INTEGER NOT NULL, webhook_name TEXT NOT NULL, call_id TEXT NOT NULL,"
        " sequence INTEGER NOT NULL, state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'),"
        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0,"
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT,"
        " success_started_at INTEGER, success_latency_ms INTEGER, UNIQUE (event_id, webhook_id));"
        "CREATE INDEX outbox_delivery_by_webhook ON outbox_delivery (webhook_id, id);"
        "CREATE INDEX outbox_delivery_failed ON outbox_delivery (id) WHERE state = 'failed';"
        "CREATE INDEX outbox_delivery_pending_by_id ON outbox_delivery (id) WHERE state = 'pending';"
        "CREATE INDEX outbox_delivery_retrying ON outbox_delivery (id) WHERE state = 'pending' AND (manual = 1 OR attempts > 0);";
    const char *lean =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE outbox_event (event_id TEXT NOT NULL, event_type TEXT NOT NULL, tenant TEXT NOT NULL,"
        " call_id TEXT NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE outbox_delivery (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, webhook_id INTEGER NOT NULL,"
        " webhook_name TEXT NOT NULL, call_id TEXT NOT NULL, sequence INTEGER NOT NULL, state TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0,"
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT,"
        " success_started_at INTEGER, success_latency_ms INTEGER);";
    const char *keyed =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "CREATE TABLE outbox_event (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL,"
        " tenant TEXT NOT NULL, call_id TEXT NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL);"
        DELIVERY_BY_EVENT_REF;
    const char *minimal =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "CREATE TABLE outbox_event (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
        " tenant TEXT NOT NULL, call_id TEXT NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE outbox_call (call_id TEXT PRIMARY KEY NOT NULL, sequence INTEGER NOT NULL) WITHOUT ROWID;"
        DELIVERY_BY_EVENT_REF;
    char *err = NULL;
    const char *chosen = !strcmp(schema, "lean") ? lean : !strcmp(schema, "keyed") ? keyed
        : !strcmp(schema, "minimal") ? minimal : outbox;
    if (sqlite3_exec(db, chosen, 0, 0, &err)) { fprintf(stderr, "%s\n", err); exit(1); }
    by_ref = !strcmp(schema, "keyed") || !strcmp(schema, "minimal");
    if (!strcmp(schema, "minimal"))
        check(sqlite3_prepare_v2(db, "INSERT INTO outbox_call (call_id, sequence) VALUES (?, ?) ON CONFLICT (call_id)"
                                 " DO UPDATE SET sequence = excluded.sequence WHERE excluded.sequence > sequence", -1,
                                 &upsert_call, 0), "prepare");
    check(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO outbox_event (event_id, event_type, tenant, call_id, sequence, body,"
                             " created_at) VALUES (?,?,?,?,?,?,?)", -1, &insert_event, 0), "prepare");
    check(sqlite3_prepare_v2(db, by_ref ? "INSERT OR IGNORE INTO outbox_delivery (event_ref, webhook_id, webhook_name, call_id,"
                             " sequence, state, attempts, next_attempt_at, manual, created_at, updated_at)"
                             " VALUES (?, 1, 'sink', ?, ?, 'pending', 0, ?, 0, ?, ?)" :
                             "INSERT OR IGNORE INTO outbox_delivery (event_id, webhook_id, webhook_name, call_id, sequence,"
                             " state, attempts, next_attempt_at, manual, created_at, updated_at)"
                             " VALUES (?, 1, 'sink', ?, ?, 'pending', 0, ?, 0, ?, ?)", -1, &insert_delivery, 0), "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE outbox_delivery SET state = 'delivered', attempts = ?, updated_at = ?, last_status = ?,"
                             " last_error = NULL, manual = 0, success_started_at = ?, success_latency_ms = ? WHERE id = ?", -1, &update_delivery, 0), "prepare");
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin_tx, 0), "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit_tx, 0), "prepare");
}

struct slot { CURL *easy; struct curl_slist *headers; long event; char id_header[80]; };

/* Shared with the producer thread in the 2-thread mode (THREADS=2). */
static long total;
static _Atomic long enqueued, sent_shared;
static int durable, threaded;
static char (*bodies)[1025];
static sqlite3_int64 *rows;
static pthread_mutex_t database_lock = PTHREAD_MUTEX_INITIALIZER;

/* Commits the next BATCH events (event row + delivery row each) in one transaction. */
static void enqueue_batch(void) {
    long start = atomic_load(&enqueued);
    long end = start + BATCH < total ? start + BATCH : total;
    if (durable) { pthread_mutex_lock(&database_lock); step(begin_tx, "begin"); }
    for (long i = start; i < end; i++) {
        if (!durable) { rows[i] = i; continue; }
        char call[32], event[64];
        snprintf(call, sizeof call, "bench-%ld", i % CALLS);
        snprintf(event, sizeof event, "evt_%s_%ld", call, i / CALLS + 1);
        sqlite3_bind_text(insert_event, 1, event, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_event, 2, "call.event_call_updated", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert_event, 3, "main", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert_event, 4, call, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert_event, 5, i / CALLS + 1);
        sqlite3_bind_blob(insert_event, 6, bodies[i], 1024, SQLITE_STATIC);
        sqlite3_bind_int64(insert_event, 7, 1796415265000LL);
        step(insert_event, "insert event");
        sqlite3_int64 event_row = sqlite3_last_insert_rowid(db);
        if (upsert_call) {
            sqlite3_bind_text(upsert_call, 1, call, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(upsert_call, 2, i / CALLS + 1);
            step(upsert_call, "upsert call");
        }
        if (by_ref) sqlite3_bind_int64(insert_delivery, 1, event_row);
        else sqlite3_bind_text(insert_delivery, 1, event, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_delivery, 2, call, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert_delivery, 3, i / CALLS + 1);
        for (int k = 4; k <= 6; k++) sqlite3_bind_int64(insert_delivery, k, 1796415265000LL);
        step(insert_delivery, "insert delivery");
        rows[i] = sqlite3_last_insert_rowid(db);
    }
    if (durable) { step(commit_tx, "commit"); pthread_mutex_unlock(&database_lock); }
    atomic_store(&enqueued, end);
}

/* The 2-thread mode's producer: the ingest side, keeping the outbox a few batches ahead. */
static void *produce(void *unused) {
    (void)unused;
    while (atomic_load(&enqueued) < total) {
        if (atomic_load(&enqueued) - atomic_load(&sent_shared) < 4 * BATCH) enqueue_batch();
        else usleep(100);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s URL CONCURRENCY REQUESTS [outbox|lean|none]\n", argv[0]); return 2; }
    const char *url = argv[1];
    int concurrency = atoi(argv[2]);
    total = atol(argv[3]);
    const char *schema = argc > 4 ? argv[4] : "outbox";
    durable = strcmp(schema, "none") != 0;
    threaded = getenv("THREADS") && atoi(getenv("THREADS")) == 2;
    if (durable) open_outbox(schema);

    enum { BODY = 1024 };
    bodies = malloc((size_t)total * (BODY + 1));
    rows = malloc((size_t)total * sizeof *rows);
    long *to_record = malloc((size_t)total * sizeof *to_record);
    for (long i = 0; i < total; i++) {
        int n = snprintf(bodies[i], BODY + 1, "{\"id\":\"evt_bench-%ld_%ld\",\"event\":\"call.event_call_updated\","
                         "\"call_id\":\"bench-%ld\",\"pad\":\"", i % CALLS, i / CALLS + 1, i % CALLS);
        memset(bodies[i] + n, 'x', BODY - n - 2);
        memcpy(bodies[i] + BODY - 2, "\"}", 3);
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency * 2);
    struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
    struct slot **idle = malloc((size_t)concurrency * sizeof *idle);
    int idle_count = 0;
    for (int i = 0; i < concurrency; i++) {
        CURL *e = slots[i].easy = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)BODY);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
        idle[idle_count++] = &slots[i];
    }

    double t0 = now(), c0 = cpu();
    long done = 0, ok = 0, pending_records = 0, sent = 0;
    if (threaded) {
        pthread_t producer;
        pthread_create(&producer, NULL, produce, NULL);
        pthread_detach(producer);
    }
    while (done < total) {
        /* Keep the outbox a few batches ahead of the sender, as the ingest thread would. */
        if (!threaded) {
            while (atomic_load(&enqueued) < total && atomic_load(&enqueued) - sent < 4 * BATCH) enqueue_batch();
        }
        long ready = atomic_load(&enqueued);
        while (idle_count > 0 && sent < ready) {
            struct slot *s = idle[--idle_count];
            s->event = sent++;
            atomic_store(&sent_shared, sent);
            curl_slist_free_all(s->headers);
            s->headers = curl_slist_append(NULL, "Content-Type: application/json");
            s->headers = curl_slist_append(s->headers, "Expect:");
            snprintf(s->id_header, sizeof s->id_header, "webhook-id: evt_bench-%ld_%ld", s->event % CALLS, s->event / CALLS + 1);
            s->headers = curl_slist_append(s->headers, s->id_header);
            curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
            curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, bodies[s->event]);
            curl_multi_add_handle(multi, s->easy);
        }
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            struct slot *s;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (message->data.result != CURLE_OK || code < 200 || code > 299) {
                fprintf(stderr, "delivery %ld failed: %s %ld\n", s->event, curl_easy_strerror(message->data.result), code);
                return 1;
            }
            ok++;
            done++;
            to_record[pending_records++] = s->event;
            curl_multi_remove_handle(multi, message->easy_handle);
            idle[idle_count++] = s;
        }
        if (durable && (pending_records >= RECORD_BATCH || (done == total && pending_records > 0))) {
            pthread_mutex_lock(&database_lock);
            step(begin_tx, "begin");
            for (long k = 0; k < pending_records; k++) {
                sqlite3_bind_int(update_delivery, 1, 1);
                sqlite3_bind_int64(update_delivery, 2, 1796415265001LL);
                sqlite3_bind_int(update_delivery, 3, 200);
                sqlite3_bind_int64(update_delivery, 4, 1796415265000LL);
                sqlite3_bind_int(update_delivery, 5, 1);
                sqlite3_bind_int64(update_delivery, 6, rows[to_record[k]]);
                step(update_delivery, "record");
            }
            step(commit_tx, "commit");
            pthread_mutex_unlock(&database_lock);
            pending_records = 0;
        }
        if (done < total && idle_count < concurrency) curl_multi_poll(multi, NULL, 0, threaded ? 1 : 100, NULL);
        else if (done < total && threaded) usleep(50);
    }
    double secs = now() - t0, used = cpu() - c0;
    printf("durable-post-floor threads=%d schema=%s concurrency=%d requests=%ld ok=%ld secs=%.3f req_per_s=%.0f cpu_us_per_request=%.1f\n",
           threaded ? 2 : 1, schema, concurrency, total, ok, secs, total / secs, used / total * 1e6);
    if (durable) sqlite3_close(db);
    return 0;
}
