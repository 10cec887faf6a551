#pragma once
// Little-endian integers of `n` bytes (1 to 8), read and written byte by byte: no alignment
// needed, the same on every host. The one copy behind the journal's frames, its event payloads
// and the plugin's compact requests. Callers check that `n` bytes are there.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>

namespace warren {

inline uint64_t load_le(const char* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(p[i]);
    return v;
}

inline void store_le(char* p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

inline void append_le(std::string& out, uint64_t v, size_t n) {
    char b[8];
    store_le(b, v, n);
    out.append(b, n);
}

template <std::unsigned_integral T>
T load_le(const char* p) {
    return static_cast<T>(load_le(p, sizeof(T)));
}

template <std::unsigned_integral T>
void store_le(char* p, T v) {
    store_le(p, uint64_t{v}, sizeof(T));
}

}  // namespace warren
