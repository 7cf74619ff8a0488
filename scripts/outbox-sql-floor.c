/* outbox-sql-floor: the SQL of one delivery through the outbox (enqueue: event row + delivery row
 * in transactions of 200; record: the success UPDATE in transactions of 64; then a checkpoint),
 * run straight against libsqlite3 with no Swift, to tell SQLite's own cost from ours
 * (docs/PERFORMANCE.md, "Session 3"). The schema is the outbox's as of migration delivery-007 (its UPDATE is the general one);
 * keep it in step with Sources/Storage/OutboxMigrations.swift when the schema changes.
 *
 *   cc -O2 -o .build/bench/outbox-sql-floor scripts/outbox-sql-floor.c -lsqlite3
 *   .build/bench/outbox-sql-floor x nocall            # the current schema
 *   .build/bench/outbox-sql-floor x cur               # with the (call_id, sequence) index of delivery-002
 *   variants (any combination in the 2nd argument): nocall nouniq nofk nowh
 *   environment: BODY (bytes, 1024), PAGE (page size), MMAP, CACHE
 * Prints CPU µs per delivery for each phase and the WAL frames each phase wrote (stderr).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double cpu(void){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec/1e9;}
#define E(x) do{ int _r=(x); if(_r!=SQLITE_OK && _r!=SQLITE_DONE){fprintf(stderr,"%s:%d %s\n",__FILE__,__LINE__,sqlite3_errmsg(db));exit(1);} }while(0)
int main(int argc,char**argv){
  int N=30000, CALLS=1000; int nocall=argc>2&&strstr(argv[2],"nocall"); int nofk=argc>2&&strstr(argv[2],"nofk");
  int nouniq=argc>2&&strstr(argv[2],"nouniq"); int nowh=argc>2&&strstr(argv[2],"nowh");
  const char*path="/tmp/outbox-sql-floor.db"; unlink(path); char p2[64]; sprintf(p2,"%s-wal",path); unlink(p2); sprintf(p2,"%s-shm",path); unlink(p2);
  sqlite3*db; sqlite3_open(path,&db); { char q[200]; sprintf(q,"PRAGMA page_size=%s; PRAGMA mmap_size=%s; PRAGMA cache_size=%s;", getenv("PAGE")?getenv("PAGE"):"4096", getenv("MMAP")?getenv("MMAP"):"0", getenv("CACHE")?getenv("CACHE"):"-2000"); sqlite3_exec(db,q,0,0,0);} int BODY=getenv("BODY")?atoi(getenv("BODY")):1024;
  char*err=0; char sql[4096];
  sprintf(sql,"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=%s; PRAGMA wal_autocheckpoint=0;"
   "CREATE TABLE outbox_event (event_id TEXT PRIMARY KEY NOT NULL, event_type TEXT NOT NULL, tenant TEXT NOT NULL, call_id TEXT NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL);"
   "CREATE TABLE outbox_delivery (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL REFERENCES outbox_event(event_id) ON DELETE CASCADE, webhook_id INTEGER NOT NULL, webhook_name TEXT NOT NULL, call_id TEXT NOT NULL, sequence INTEGER NOT NULL, state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'), attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT, success_started_at INTEGER, success_latency_ms INTEGER %s);"
   "%s CREATE INDEX outbox_delivery_failed ON outbox_delivery (id) WHERE state = 'failed';"
   "CREATE INDEX outbox_delivery_pending_by_id ON outbox_delivery (id) WHERE state = 'pending';"
   "CREATE INDEX outbox_delivery_retrying ON outbox_delivery (id) WHERE state = 'pending' AND (manual = 1 OR attempts > 0); %s",
   nofk?"OFF":"ON", nouniq?"":", UNIQUE (event_id, webhook_id)", nowh?"":"CREATE INDEX outbox_delivery_by_webhook ON outbox_delivery (webhook_id, id);",
   nocall?"":"CREATE INDEX outbox_event_by_call ON outbox_event (call_id, sequence);");
  if(sqlite3_exec(db,sql,0,0,&err)){fprintf(stderr,"%s\n",err);return 1;}
  sqlite3_stmt*ie,*id,*up,*b,*c;
  E(sqlite3_prepare_v2(db,"INSERT OR IGNORE INTO outbox_event (event_id, event_type, tenant, call_id, sequence, body, created_at) VALUES (?,?,?,?,?,?,?)",-1,&ie,0));
  E(sqlite3_prepare_v2(db,"INSERT OR IGNORE INTO outbox_delivery (event_id, webhook_id, webhook_name, call_id, sequence, state, attempts, next_attempt_at, manual, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, 0, ?, ?)",-1,&id,0));
  E(sqlite3_prepare_v2(db,"UPDATE outbox_delivery SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?, last_status = ?, last_error = ?, manual = CASE WHEN ? = 'pending' THEN manual ELSE 0 END, success_started_at = ?, success_latency_ms = ? WHERE id = ?",-1,&up,0));
  E(sqlite3_prepare_v2(db,"BEGIN IMMEDIATE",-1,&b,0)); E(sqlite3_prepare_v2(db,"COMMIT",-1,&c,0));
  char body[1024]; memset(body,'x',sizeof body);
  sqlite3_int64*ids=malloc(N*8);
  double t0=cpu();
  for(int s=0;s<N;s+=200){ {int r=sqlite3_step(b); if(r!=SQLITE_DONE){fprintf(stderr,"begin %d %s\n",r,sqlite3_errmsg(db));exit(1);} sqlite3_reset(b);}
    for(int i=s;i<s+200;i++){ char cid[32],eid[48]; int call=i%CALLS, seq=i/CALLS+1; sprintf(cid,"bench-%d",call); sprintf(eid,"evt_%s_%d",cid,seq);
      sqlite3_bind_text(ie,1,eid,-1,SQLITE_TRANSIENT); sqlite3_bind_text(ie,2,"call.event_call_updated",-1,SQLITE_STATIC); sqlite3_bind_text(ie,3,"main",-1,SQLITE_STATIC);
      sqlite3_bind_text(ie,4,cid,-1,SQLITE_TRANSIENT); sqlite3_bind_int(ie,5,seq); sqlite3_bind_blob(ie,6,body,BODY,SQLITE_TRANSIENT); sqlite3_bind_int64(ie,7,1796415265000LL);
      E(sqlite3_step(ie)); sqlite3_reset(ie);
      sqlite3_bind_text(id,1,eid,-1,SQLITE_TRANSIENT); sqlite3_bind_int(id,2,1); sqlite3_bind_text(id,3,"sink",-1,SQLITE_STATIC); sqlite3_bind_text(id,4,cid,-1,SQLITE_TRANSIENT);
      sqlite3_bind_int(id,5,seq); sqlite3_bind_int64(id,6,1); sqlite3_bind_int64(id,7,1); sqlite3_bind_int64(id,8,1);
      E(sqlite3_step(id)); sqlite3_reset(id); ids[i]=sqlite3_last_insert_rowid(db);}
    E(sqlite3_step(c)); sqlite3_reset(c);}
  double t1=cpu(); { sqlite3_stmt*w; sqlite3_prepare_v2(db,"PRAGMA wal_checkpoint(PASSIVE)",-1,&w,0); sqlite3_step(w); fprintf(stderr,"after enqueue: wal frames %d\n", sqlite3_column_int(w,1)); sqlite3_finalize(w);}
  for(int s=0;s<N;s+=64){ {int r=sqlite3_step(b); if(r!=SQLITE_DONE){fprintf(stderr,"begin %d %s\n",r,sqlite3_errmsg(db));exit(1);} sqlite3_reset(b);}
    for(int i=s;i<s+64&&i<N;i++){ sqlite3_bind_text(up,1,"delivered",-1,SQLITE_STATIC); sqlite3_bind_int(up,2,1); sqlite3_bind_null(up,3); sqlite3_bind_int64(up,4,2);
      sqlite3_bind_int(up,5,200); sqlite3_bind_null(up,6); sqlite3_bind_text(up,7,"delivered",-1,SQLITE_STATIC); sqlite3_bind_int64(up,8,2); sqlite3_bind_int(up,9,1); sqlite3_bind_int64(up,10,ids[i]);
      E(sqlite3_step(up)); sqlite3_reset(up);}
    E(sqlite3_step(c)); sqlite3_reset(c);}
  double t2=cpu(); { sqlite3_stmt*w; sqlite3_prepare_v2(db,"PRAGMA wal_checkpoint(PASSIVE)",-1,&w,0); sqlite3_step(w); fprintf(stderr,"after record: wal frames %d\n", sqlite3_column_int(w,1)); sqlite3_finalize(w);}
  sqlite3_exec(db,"PRAGMA wal_checkpoint(TRUNCATE)",0,0,0);
  double t3=cpu();
  printf("%-24s enqueue %5.1f us/ev  record %5.1f  checkpoint %5.1f  total %5.1f\n", argc>2?argv[2]:"cur", (t1-t0)/N*1e6,(t2-t1)/N*1e6,(t3-t2)/N*1e6,(t3-t0)/N*1e6);
  return 0;}
