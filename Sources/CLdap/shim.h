#ifndef DHCPSCOPE_CLDAP_SHIM_H
#define DHCPSCOPE_CLDAP_SHIM_H
#define LDAP_DEPRECATED 0
#include <sys/time.h>
#include <ldap.h>

/* LDAP_OPT_SUCCESS and LDAP_OPT_ON are macros Swift cannot import as they are. */
static inline int dhcpscope_ldap_version3(LDAP *ld) {
    int version = LDAP_VERSION3;
    return ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
}
static inline int dhcpscope_ldap_timeout(LDAP *ld, int seconds) {
    struct timeval timeout = { seconds, 0 };
    int result = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    if (result != LDAP_OPT_SUCCESS) return result;
    return ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout);
}
#endif
