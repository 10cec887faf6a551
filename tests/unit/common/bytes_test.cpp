// warren/bytes.hpp: the little-endian integers every binary format here is built from.
#include "warren/bytes.hpp"

#include <gtest/gtest.h>

TEST(Bytes, LittleEndianLayoutAndRoundTrip) {
    std::string out;
    warren::append_le(out, 0x0102, 2);
    warren::append_le(out, 0x0a0b0c0d, 4);
    ASSERT_EQ(out, std::string("\x02\x01\x0d\x0c\x0b\x0a", 6));
    EXPECT_EQ(warren::load_le(out.data(), 2), 0x0102u);
    EXPECT_EQ(warren::load_le<uint32_t>(out.data() + 2), 0x0a0b0c0du);
    char b[8];
    warren::store_le<uint64_t>(b, 0xfedcba9876543210ull);
    EXPECT_EQ(static_cast<uint8_t>(b[0]), 0x10u);
    EXPECT_EQ(static_cast<uint8_t>(b[7]), 0xfeu);
    EXPECT_EQ(warren::load_le<uint64_t>(b), 0xfedcba9876543210ull);
}
