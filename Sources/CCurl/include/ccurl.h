#ifndef IMAGECAT_CCURL_H
#define IMAGECAT_CCURL_H
#include <curl/curl.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, which Swift cannot
// call: these typed wrappers are the whole reason this target exists.
CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_setopt_ptr(CURL *h, CURLoption o, const void *v);
CURLcode ccurl_setopt_str(CURL *h, CURLoption o, const char *v);
CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_setopt_write(CURL *h, size_t (*f)(char *, size_t, size_t, void *));
CURLcode ccurl_setopt_header(CURL *h, size_t (*f)(char *, size_t, size_t, void *));
CURLcode ccurl_setopt_read(CURL *h, size_t (*f)(char *, size_t, size_t, void *));
CURLcode ccurl_setopt_seek(CURL *h, int (*f)(void *, curl_off_t, int));
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode ccurl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v);
CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v);
/// The `CURLcode` of a finished transfer from a `CURLMSG_DONE` message (a union member in C).
CURLcode ccurl_msg_result(const CURLMsg *m);
#endif
