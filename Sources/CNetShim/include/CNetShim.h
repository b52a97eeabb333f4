#ifndef DHCPSCOPE_CNETSHIM_H
#define DHCPSCOPE_CNETSHIM_H
/* What Swift's Glibc module lacks for packet sockets and ancillary data: sockaddr_ll, ETH_P_*, CMSG_*.
   DHCPNetwork uses it, and DHCPRuntime for the CPU count. Everything here is small; the struct-walking parts live in shim.c. */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <ifaddrs.h>
#include <poll.h>

/* ---- CMSG_* (macros Swift cannot call) ---- */
static inline struct cmsghdr *cns_cmsg_firsthdr(struct msghdr *message) { return CMSG_FIRSTHDR(message); }
static inline struct cmsghdr *cns_cmsg_nxthdr(struct msghdr *message, struct cmsghdr *header) {
    return CMSG_NXTHDR(message, header);
}
static inline unsigned char *cns_cmsg_data(struct cmsghdr *header) { return CMSG_DATA(header); }
static inline size_t cns_cmsg_space(size_t length) { return CMSG_SPACE(length); }
static inline size_t cns_cmsg_len(size_t length) { return CMSG_LEN(length); }

/* ---- ETH_P_* in network byte order, as socket(AF_PACKET, …, protocol) and sockaddr_ll.sll_protocol want ---- */
static inline uint16_t cns_eth_p_all_network(void) { return htons(ETH_P_ALL); }
static inline uint16_t cns_eth_p_ip_network(void) { return htons(ETH_P_IP); }
static inline uint16_t cns_htons(uint16_t value) { return htons(value); }

/* ---- sockaddr_ll ---- */
/* A sockaddr_ll for bind(2) or sendto(2) on an AF_PACKET socket: `protocol` in host order, `mac` may be NULL. */
static inline struct sockaddr_ll cns_sockaddr_ll(int interface_index, uint16_t protocol, const uint8_t *mac) {
    struct sockaddr_ll address;
    __builtin_memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(protocol);
    address.sll_ifindex = interface_index;
    if (mac) {
        address.sll_halen = 6;
        for (int i = 0; i < 6; i++) address.sll_addr[i] = mac[i];
    }
    return address;
}
static inline socklen_t cns_sockaddr_ll_size(void) { return (socklen_t)sizeof(struct sockaddr_ll); }

/* Reads an AF_PACKET address (from getifaddrs or recvfrom): returns the interface index, fills the hardware
   address (up to 8 bytes; *length gets sll_halen), the ARPHRD_ type and the PACKET_ type. -1 if not AF_PACKET. */
int cns_read_sockaddr_ll(const struct sockaddr *address, uint8_t mac[8], int *length, uint16_t *hardware_type,
                         uint8_t *packet_type);

/* ---- IP_PKTINFO ---- */
/* recvmsg(2) with IP_PKTINFO on an AF_INET datagram socket. Returns the byte count (or -1 with errno); fills the
   source address and port (host order), whether the message was truncated, and from the IP_PKTINFO control
   message (has_info = 0 when none came) the arriving interface index, the header destination address
   (ipi_addr) and the local address (ipi_spec_dst), all addresses in host order; and when the socket has
   SO_TIMESTAMPNS, the nanoseconds the datagram had waited in the socket (the kernel's arrival time against
   CLOCK_REALTIME now), else -1. */
/* One recvmsg(2) on a packet socket: the frame's length (or -1 with errno), its link-level address, and when the
   socket has SO_TIMESTAMPNS the nanoseconds it had waited in the socket, else -1. */
ssize_t cns_recv_packet(int fd, void *buffer, size_t capacity, struct sockaddr_ll *from, int64_t *waited_nanoseconds);
ssize_t cns_recv_pktinfo(int fd, void *buffer, size_t capacity, uint32_t *source, uint16_t *source_port,
                         int *truncated, int *has_info, int *interface_index, uint32_t *destination,
                         uint32_t *local, int64_t *waited_nanoseconds);

/* sendmsg(2) to address:port (host order) with an IP_PKTINFO control message choosing the outgoing interface
   (0: routing decides) and the source address (0: the kernel's choice). */
ssize_t cns_send_pktinfo(int fd, const void *bytes, size_t length, uint32_t address, uint16_t port,
                         int interface_index, uint32_t source);

/* ---- Classic BPF ---- */
/* Attaches (SO_ATTACH_FILTER) a filter to an AF_PACKET SOCK_RAW socket that passes only untagged Ethernet IPv4
   UDP first fragments whose source or destination port is one of `ports` (up to 8), and ARP when `accept_arp`.
   0 or -1 with errno. */
int cns_attach_udp_port_filter(int fd, const uint16_t *ports, int count, int accept_arp);
/* PACKET_MR_PROMISC membership: frames to other MACs are received too (undone when the socket closes). */
int cns_set_promiscuous(int fd, int interface_index);

/* ---- Network namespaces ---- */
/* setns(fd, CLONE_NEWNET) for the calling thread only (setns(2) changes the thread, not the process). */
int cns_enter_network_namespace(int fd);
/* The inode of /proc/self/ns/net (the process's first thread) and /proc/thread-self/ns/net; 0 when unreadable. */
uint64_t cns_network_namespace_inode(int this_thread);

/* ---- Processors ---- */
/* The CPUs this thread may run on (sched_getaffinity: taskset and cpusets count), at least 1. */
int cns_available_cpus(void);

/* ---- Timers ---- */
/* prctl(PR_SET_TIMERSLACK): how late the kernel may wake this thread from a timed wait (50 us by default);
   prctl is variadic, which Swift cannot call. 0 or -1 with errno. */
int cns_set_timer_slack(unsigned long nanoseconds);
/* ppoll(2) (a _GNU_SOURCE function Swift's Glibc does not show): a wait kept to the nanosecond; a negative
   timeout waits without limit. */
int cns_ppoll(struct pollfd *descriptors, unsigned long count, int64_t timeout_nanoseconds);

#endif
