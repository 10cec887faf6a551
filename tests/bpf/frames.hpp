#pragma once
// Hand-built Ethernet frames for BPF_PROG_TEST_RUN.
#include <cstdint>
#include <string>
#include <vector>

namespace warren::bpftest {

using Frame = std::vector<uint8_t>;

struct VlanTag {
    uint16_t tpid = 0x8100;  // 0x88a8 for 802.1ad
    uint16_t vid = 100;
};

// 14-byte Ethernet header (+ one 4-byte tag) announcing `ethertype`.
Frame ethernet(uint16_t ethertype, const VlanTag* tag = nullptr);
// A 20-byte IPv4 header from `src` to 10.99.0.1 (+ `payload` zero bytes) after `ethernet`.
Frame ipv4(const std::string& src, size_t payload = 16, const VlanTag* tag = nullptr);
// A 40-byte IPv6 header from `src` to fd00::1 (+ payload).
Frame ipv6(const std::string& src, size_t payload = 16, const VlanTag* tag = nullptr);
// An Ethernet/IPv4 ARP request (op 1) or reply (op 2) with sender address `spa`.
Frame arp(const std::string& spa, uint16_t op = 1, const VlanTag* tag = nullptr);

}  // namespace warren::bpftest
