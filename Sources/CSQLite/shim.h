#pragma once
#include <sqlite3.h>
/// SQLITE_TRANSIENT is a cast macro Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
/// sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's memory statistics, which
/// take a global mutex on every allocation; must run before SQLite initialises (else SQLITE_MISUSE).
static inline int csqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
