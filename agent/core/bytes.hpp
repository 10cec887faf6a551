#pragma once
// Little-endian binary writer/reader for journal payloads (integers: warren/bytes.hpp). The reader never reads past the end:
// a short or damaged payload makes ok() false instead. Every length or count it reads is
// checked against the bytes that remain, so a damaged one can never make it allocate more than
// the payload's own size.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "warren/bytes.hpp"
#include "warren/ip.hpp"

namespace warren::core {

class ByteWriter {
public:
    explicit ByteWriter(std::string& out) : out_(out) {}
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u64(uint64_t v) {
        append_le(out_, v, 8);
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void str(std::string_view s) {
        u64(s.size());
        out_.append(s);
    }
    void addr(const IpAddress& a) {
        u8(static_cast<uint8_t>(a.family()));
        u64(static_cast<uint64_t>(a.value() >> 64));
        u64(static_cast<uint64_t>(a.value()));
    }

private:
    std::string& out_;
};

class ByteReader {
public:
    explicit ByteReader(std::string_view in) : in_(in) {}
    bool ok() const { return ok_; }
    bool done() const { return pos_ == in_.size(); }
    size_t remaining() const { return in_.size() - pos_; }
    void fail() { ok_ = false; }
    // Whether `count` items of at least `item_bytes` each still fit; if not, ok() turns false.
    bool fits(uint64_t count, uint64_t item_bytes) {
        if (ok_ && count <= remaining() / item_bytes) return true;
        ok_ = false;
        return false;
    }
    uint8_t u8() {
        if (!need(1)) return 0;
        return static_cast<uint8_t>(in_[pos_++]);
    }
    uint64_t u64() {
        if (!need(8)) return 0;
        const uint64_t v = load_le(in_.data() + pos_, 8);
        pos_ += 8;
        return v;
    }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    std::string str() {
        uint64_t n = u64();
        if (!need(n)) return {};  // a length beyond the payload: damage, nothing allocated
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    static constexpr uint64_t kAddrBytes = 17;
    IpAddress addr() {
        uint8_t fam = u8();
        u128 hi = u64(), lo = u64();
        if ((fam != 4 && fam != 6) || (fam == 4 && (hi != 0 || lo > 0xffffffffu))) {
            ok_ = false;
            return {};
        }
        return IpAddress{fam == 6 ? Family::v6 : Family::v4, (hi << 64) | lo};
    }

private:
    bool need(uint64_t n) {
        if (!ok_ || in_.size() - pos_ < n) {
            ok_ = false;
            return false;
        }
        return true;
    }
    std::string_view in_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace warren::core
