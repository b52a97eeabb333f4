#define _GNU_SOURCE
#include "CNetShim.h"
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/filter.h>
#include <sched.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

int cns_read_sockaddr_ll(const struct sockaddr *address, uint8_t mac[8], int *length, uint16_t *hardware_type,
                         uint8_t *packet_type) {
    if (address == NULL || address->sa_family != AF_PACKET) return -1;
    const struct sockaddr_ll *link = (const struct sockaddr_ll *)address;
    int count = link->sll_halen > 8 ? 8 : link->sll_halen;
    memcpy(mac, link->sll_addr, (size_t)count);
    *length = count;
    *hardware_type = link->sll_hatype;
    *packet_type = link->sll_pkttype;
    return link->sll_ifindex;
}

/* The nanoseconds since an SCM_TIMESTAMPNS control message's arrival time (CLOCK_REALTIME), at least 0. */
static int64_t waited_since(const struct cmsghdr *header) {
    struct timespec arrived, now;
    memcpy(&arrived, CMSG_DATA(header), sizeof arrived);
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t waited = (int64_t)(now.tv_sec - arrived.tv_sec) * 1000000000 + (now.tv_nsec - arrived.tv_nsec);
    return waited < 0 ? 0 : waited;
}

/* Room for the control messages the sockets ask for: IP_PKTINFO and SCM_TIMESTAMPNS. */
typedef union {
    char bytes[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct timespec)) + 64];
    struct cmsghdr align;
} control_buffer;

/* One recvmsg(2) into buffer: the sender's address into name (zeroed first) and the control messages into control,
   both described by message (whose vector is the caller's). */
static ssize_t receive_message(int fd, void *buffer, size_t capacity, void *name, socklen_t name_length,
                               control_buffer *control, struct iovec *vector, struct msghdr *message) {
    memset(name, 0, name_length);
    vector->iov_base = buffer;
    vector->iov_len = capacity;
    memset(message, 0, sizeof *message);
    message->msg_name = name;
    message->msg_namelen = name_length;
    message->msg_iov = vector;
    message->msg_iovlen = 1;
    message->msg_control = control->bytes;
    message->msg_controllen = sizeof control->bytes;
    return recvmsg(fd, message, 0);
}

ssize_t cns_recv_packet(int fd, void *buffer, size_t capacity, struct sockaddr_ll *from, int64_t *waited_nanoseconds) {
    control_buffer control;
    struct iovec vector;
    struct msghdr message;
    ssize_t count = receive_message(fd, buffer, capacity, from, sizeof *from, &control, &vector, &message);
    if (count < 0) return count;
    *waited_nanoseconds = -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) *waited_nanoseconds = waited_since(header);
    }
    return count;
}

ssize_t cns_recv_pktinfo(int fd, void *buffer, size_t capacity, uint32_t *source, uint16_t *source_port,
                         int *truncated, int *has_info, int *interface_index, uint32_t *destination,
                         uint32_t *local, int64_t *waited_nanoseconds) {
    struct sockaddr_in from;
    control_buffer control;
    struct iovec vector;
    struct msghdr message;
    ssize_t count = receive_message(fd, buffer, capacity, &from, sizeof from, &control, &vector, &message);
    if (count < 0) return count;
    *source = ntohl(from.sin_addr.s_addr);
    *source_port = ntohs(from.sin_port);
    *truncated = (message.msg_flags & MSG_TRUNC) != 0;
    *has_info = 0;
    *waited_nanoseconds = -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) *waited_nanoseconds = waited_since(header);
        if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(header), sizeof info);
            *has_info = 1;
            *interface_index = info.ipi_ifindex;
            *destination = ntohl(info.ipi_addr.s_addr);
            *local = ntohl(info.ipi_spec_dst.s_addr);
        }
    }
    return count;
}

ssize_t cns_send_pktinfo(int fd, const void *bytes, size_t length, uint32_t address, uint16_t port,
                         int interface_index, uint32_t source) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(address);
    to.sin_port = htons(port);
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = length};
    union {
        char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = &to;
    message.msg_namelen = sizeof to;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = IPPROTO_IP;
    header->cmsg_type = IP_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo info;
    memset(&info, 0, sizeof info);
    info.ipi_ifindex = interface_index;
    info.ipi_spec_dst.s_addr = htonl(source);
    memcpy(CMSG_DATA(header), &info, sizeof info);
    return sendmsg(fd, &message, 0);
}

int cns_attach_udp_port_filter(int fd, const uint16_t *ports, int count, int accept_arp) {
    if (count < 1 || count > 8) {
        errno = EINVAL;
        return -1;
    }
    /* ldh [12]; (jeq #0x806 → accept, when ARP is wanted); jeq #0x800 else drop; ldb [23]; jeq #17 else drop;
       ldh [20]; jset #0x1fff drop; ldxb 4*([14]&0xf); ldh [x+14] (source port); jeq each → accept;
       ldh [x+16] (destination); jeq each → accept; drop; accept. */
    struct sock_filter code[12 + 2 * 8];
    int n = 0;
    int total = 11 + (accept_arp ? 1 : 0) + 2 * count; /* loads and checks, 2 × count port tests, drop, accept */
    int drop = total - 2, accept = total - 1;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12);
    if (accept_arp) {
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, (uint8_t)(accept - n - 1), 0); n++;
    }
    code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, (uint8_t)(drop - n - 1)); n++;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23);
    code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, (uint8_t)(drop - n - 1)); n++;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20);
    code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, (uint8_t)(drop - n - 1), 0); n++;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14);
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14);
    for (int i = 0; i < count; i++) {
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[i], (uint8_t)(accept - n - 1), 0); n++;
    }
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16);
    for (int i = 0; i < count; i++) {
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[i], (uint8_t)(accept - n - 1), 0); n++;
    }
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x40000);
    if (n != total) {
        errno = EINVAL;
        return -1;
    }
    struct sock_fprog program = {.len = (unsigned short)n, .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}

int cns_set_promiscuous(int fd, int interface_index) {
    struct packet_mreq request;
    memset(&request, 0, sizeof request);
    request.mr_ifindex = interface_index;
    request.mr_type = PACKET_MR_PROMISC;
    return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &request, sizeof request);
}

int cns_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }

uint64_t cns_network_namespace_inode(int this_thread) {
    struct stat info;
    if (stat(this_thread ? "/proc/thread-self/ns/net" : "/proc/self/ns/net", &info) != 0) return 0;
    return (uint64_t)info.st_ino;
}

int cns_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

int cns_ppoll(struct pollfd *descriptors, unsigned long count, int64_t timeout_nanoseconds) {
    if (timeout_nanoseconds < 0) return ppoll(descriptors, (nfds_t)count, NULL, NULL);
    struct timespec wait = { .tv_sec = timeout_nanoseconds / 1000000000, .tv_nsec = timeout_nanoseconds % 1000000000 };
    return ppoll(descriptors, (nfds_t)count, &wait, NULL);
}

int cns_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}
