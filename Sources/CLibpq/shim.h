#ifndef DHCPSCOPE_CLIBPQ_SHIM_H
#define DHCPSCOPE_CLIBPQ_SHIM_H
#include <postgresql/libpq-fe.h>
#endif
