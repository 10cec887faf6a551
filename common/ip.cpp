#include "warren/ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace warren {

std::string Error::describe() const {
    if (sys_errno == 0) return message;
    return message + ": " + std::strerror(sys_errno);
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf)
        return fail(Code::invalid_config, "invalid IP address '" + std::string(text) + "'");
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    in_addr a4{};
    if (::inet_pton(AF_INET, buf, &a4) == 1) return IpAddress::v4(ntohl(a4.s_addr));
    in6_addr a6{};
    if (::inet_pton(AF_INET6, buf, &a6) == 1) {
        u128 v = 0;
        for (uint8_t b : a6.s6_addr) v = (v << 8) | b;
        return IpAddress{Family::v6, v};
    }
    return fail(Code::invalid_config, "invalid IP address '" + std::string(text) + "'");
}

std::string IpAddress::str() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        in_addr a4{htonl(static_cast<uint32_t>(value_))};
        ::inet_ntop(AF_INET, &a4, buf, sizeof buf);
    } else {
        in6_addr a6{};
        u128 v = value_;
        for (int i = 15; i >= 0; --i, v >>= 8) a6.s6_addr[i] = static_cast<uint8_t>(v & 0xff);
        ::inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    }
    return buf;
}

namespace {
u128 host_mask(int bits, int len) {
    int host = bits - len;
    if (host <= 0) return 0;
    if (host >= 128) return ~u128{0};
    return (u128{1} << host) - 1;
}
}  // namespace

IpPrefix::IpPrefix(IpAddress addr, int len) : length_(len) {
    network_ = IpAddress{addr.family(), addr.value() & ~host_mask(addr.bits(), len)};
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return fail(Code::invalid_config, "invalid CIDR '" + std::string(text) + "': no prefix length");
    auto addr = IpAddress::parse(text.substr(0, slash));
    if (!addr) return fail(Code::invalid_config, "invalid CIDR '" + std::string(text) + "': bad address");
    auto len_text = text.substr(slash + 1);
    int len = -1;
    auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len < 0 || len > addr->bits())
        return fail(Code::invalid_config, "invalid CIDR '" + std::string(text) + "': bad prefix length");
    return IpPrefix{*addr, len};
}

IpAddress IpPrefix::last() const {
    return IpAddress{family(), network_.value() | host_mask(network_.bits(), length_)};
}

bool IpPrefix::contains(const IpAddress& a) const {
    if (a.family() != family()) return false;
    return (a.value() & ~host_mask(a.bits(), length_)) == network_.value();
}

u128 IpPrefix::size() const {
    int host = network_.bits() - length_;
    if (host >= 127) return u128{1} << 127;
    return u128{1} << host;
}

std::string IpPrefix::str() const { return network_.str() + "/" + std::to_string(length_); }

std::string cidr_string(const IpAddress& a, int prefix_len) {
    return a.str() + "/" + std::to_string(prefix_len);
}

std::string u128_str(u128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v) {
        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    return s;
}

}  // namespace warren
