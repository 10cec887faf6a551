#include "journal/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace warren::journal {
namespace {

TEST(Crc32c, KnownVector) {
    EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
    EXPECT_EQ(detail::crc32c_portable("123456789", 9, 0), 0xE3069283u);
    EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32c, Rfc3720Vectors) {
    // iSCSI (RFC 3720, B.4): 32 bytes of zeros and of 0xFF.
    const std::string zeros(32, '\0'), ones(32, '\xFF');
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32c, ChainsAcrossCalls) {
    const std::string s = "The quick brown fox jumps over the lazy dog";
    for (size_t cut = 0; cut <= s.size(); ++cut)
        EXPECT_EQ(crc32c(s.data() + cut, s.size() - cut, crc32c(s.data(), cut)),
                  crc32c(s.data(), s.size()));
}

TEST(Crc32c, HardwareAndTableAgree) {
    if (!detail::have_sse42()) GTEST_SKIP() << "no SSE4.2 on this CPU";
    std::mt19937_64 rng(42);
    std::string buf(4099, '\0');
    for (auto& c : buf) c = static_cast<char>(rng());
    // Every length and misalignment up to a few words, then larger sizes.
    for (size_t off = 0; off < 8; ++off)
        for (size_t len = 0; len + off <= 64; ++len)
            ASSERT_EQ(detail::crc32c_sse42(buf.data() + off, len, 7),
                      detail::crc32c_portable(buf.data() + off, len, 7))
                << off << "+" << len;
    EXPECT_EQ(detail::crc32c_sse42(buf.data(), buf.size(), 0),
              detail::crc32c_portable(buf.data(), buf.size(), 0));
}

}  // namespace
}  // namespace warren::journal
