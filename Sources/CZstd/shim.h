#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H
// Debian's libzstd (libzstd-dev): the snapshot files' compression of page contents.
#include <zstd.h>
#endif
