#pragma once
// IPv4/IPv6 addresses as 128-bit integers, so ranges are plain arithmetic on both families.
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren {

using u128 = unsigned __int128;

enum class Family : uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
public:
    IpAddress() = default;
    IpAddress(Family f, u128 value) : family_(f), value_(value) {}
    static IpAddress v4(uint32_t host_order) { return {Family::v4, host_order}; }

    // Accepts dotted quad or RFC 4291 text (v4-mapped v6 stays v6).
    static Result<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::v4; }
    u128 value() const { return value_; }
    int bits() const { return is_v4() ? 32 : 128; }
    std::string str() const;

    // Wraps within the family's width.
    IpAddress next() const { return {family_, mask(value_ + 1)}; }
    IpAddress prev() const { return {family_, mask(value_ - 1)}; }
    IpAddress plus(u128 n) const { return {family_, mask(value_ + n)}; }

    auto operator<=>(const IpAddress&) const = default;

private:
    u128 mask(u128 v) const { return is_v4() ? (v & 0xffffffffu) : v; }
    Family family_ = Family::v4;
    u128 value_ = 0;
};

class IpPrefix {
public:
    IpPrefix() = default;
    // Host bits are cleared: 10.1.2.3/24 becomes 10.1.2.0/24 (host-local does the same).
    IpPrefix(IpAddress addr, int len);
    static Result<IpPrefix> parse(std::string_view text);

    IpAddress network() const { return network_; }
    int length() const { return length_; }
    Family family() const { return network_.family(); }
    // Last address of the prefix (the v4 broadcast).
    IpAddress last() const;
    bool contains(const IpAddress& a) const;
    bool overlaps(const IpPrefix& o) const { return contains(o.network_) || o.contains(network_); }
    // Number of addresses, saturating at 2^127 for huge v6 prefixes.
    u128 size() const;
    std::string str() const;

    auto operator<=>(const IpPrefix&) const = default;

private:
    IpAddress network_;
    int length_ = 0;
};

// "10.1.0.5/24" — an address with its prefix length, as CNI results carry it.
std::string cidr_string(const IpAddress& a, int prefix_len);
std::string u128_str(u128 v);

}  // namespace warren

template <>
struct std::hash<warren::IpAddress> {
    size_t operator()(const warren::IpAddress& a) const noexcept {
        auto v = a.value();
        uint64_t lo = static_cast<uint64_t>(v), hi = static_cast<uint64_t>(v >> 64);
        return std::hash<uint64_t>{}(lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ static_cast<uint64_t>(a.family()));
    }
};
