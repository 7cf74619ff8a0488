#pragma once
// Typed, non-variadic wrappers for the C functions Swift cannot import (curl_easy_setopt & co.,
// MHD_start_daemon). Each wrapper is a one-liner; see CShims.c.
#include <curl/curl.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

CURLcode cs_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode cs_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode cs_easy_setopt_str(CURL *h, CURLoption o, const char *v);
CURLcode cs_easy_setopt_ptr(CURL *h, CURLoption o, void *v);
CURLcode cs_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode cs_easy_setopt_writefn(CURL *h, curl_write_callback fn);
CURLcode cs_easy_setopt_headerfn(CURL *h, curl_write_callback fn);
CURLcode cs_easy_getinfo_long(CURL *h, CURLINFO i, long *out);
CURLcode cs_easy_getinfo_double(CURL *h, CURLINFO i, double *out);
CURLcode cs_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *out);
CURLcode cs_easy_getinfo_ptr(CURL *h, CURLINFO i, void **out);
CURLMcode cs_multi_setopt_long(CURLM *m, CURLMoption o, long v);

/// Starts an MHD daemon bound to `bind_ip:port` (port 0 = any free port) with a thread pool,
/// a per-connection timeout, a connection limit and a request-completed callback.
struct MHD_Daemon *cs_mhd_start(unsigned int flags, uint16_t port, const char *bind_ip,
                                unsigned int thread_pool, unsigned int conn_timeout_s,
                                unsigned int conn_limit,
                                MHD_AccessHandlerCallback handler, void *handler_cls,
                                MHD_RequestCompletedCallback completed, void *completed_cls);
/// The port the daemon listens on (useful after binding port 0).
uint16_t cs_mhd_bound_port(struct MHD_Daemon *d);
