#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and LevelDB.
//
// Thread-safety: pure functions, safe from any thread.
#include <cstddef>
#include <cstdint>

namespace warren::journal {

// Returns the CRC-32C of `data`, continuing from `crc` (the result of a previous call over the
// preceding bytes, 0 to start), so crc32c(b, n, crc32c(a, m)) == crc32c(a ++ b).
// Uses SSE4.2 when the CPU has it, a table otherwise; both give identical results.
uint32_t crc32c(const void* data, size_t len, uint32_t crc = 0);

namespace detail {
// Exposed so tests can check the two implementations agree.
uint32_t crc32c_portable(const void* data, size_t len, uint32_t crc);
uint32_t crc32c_sse42(const void* data, size_t len, uint32_t crc);  // only if have_sse42()
bool have_sse42();
}  // namespace detail

}  // namespace warren::journal
