#include "frames.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace warren::bpftest {
namespace {

void put16(Frame& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
}

void put_addr(Frame& f, int family, const std::string& text) {
    uint8_t buf[16];
    if (::inet_pton(family, text.c_str(), buf) != 1)
        throw std::invalid_argument("bad address " + text);
    f.insert(f.end(), buf, buf + (family == AF_INET ? 4 : 16));
}

}  // namespace

Frame ethernet(uint16_t ethertype, const VlanTag* tag) {
    Frame f = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};  // dst, src
    if (tag) {
        put16(f, tag->tpid);
        put16(f, tag->vid);
    }
    put16(f, ethertype);
    return f;
}

Frame ipv4(const std::string& src, size_t payload, const VlanTag* tag) {
    Frame f = ethernet(0x0800, tag);
    f.push_back(0x45);  // version 4, IHL 5
    f.push_back(0);
    put16(f, static_cast<uint16_t>(20 + payload));
    f.insert(f.end(), {0, 0, 0x40, 0, 64, 1, 0, 0});  // id, DF, ttl, ICMP, checksum
    put_addr(f, AF_INET, src);
    put_addr(f, AF_INET, "10.99.0.1");
    f.resize(f.size() + payload);
    return f;
}

Frame ipv6(const std::string& src, size_t payload, const VlanTag* tag) {
    Frame f = ethernet(0x86dd, tag);
    f.insert(f.end(), {0x60, 0, 0, 0});
    put16(f, static_cast<uint16_t>(payload));
    f.push_back(59);  // no next header
    f.push_back(64);
    put_addr(f, AF_INET6, src);
    put_addr(f, AF_INET6, "fd00::1");
    f.resize(f.size() + payload);
    return f;
}

Frame arp(const std::string& spa, uint16_t op, const VlanTag* tag) {
    Frame f = ethernet(0x0806, tag);
    put16(f, 1);       // Ethernet
    put16(f, 0x0800);  // IPv4
    f.push_back(6);
    f.push_back(4);
    put16(f, op);
    f.insert(f.end(), {0x02, 0, 0, 0, 0, 0x02});
    put_addr(f, AF_INET, spa);
    f.insert(f.end(), {0, 0, 0, 0, 0, 0});
    put_addr(f, AF_INET, "10.99.0.1");
    return f;
}

}  // namespace warren::bpftest
