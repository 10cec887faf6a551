#pragma once
// Errors as values at every OS and input boundary (DESIGN §10).
#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace warren {

// Values are the CNI error codes where one fits, so an Error can cross to the plugin as-is.
enum class Code : int {
    incompatible_version = 1,
    unsupported_field = 2,
    unknown_container = 3,
    invalid_env = 4,
    io = 5,
    decode = 6,
    invalid_config = 7,
    try_again = 11,
    unavailable = 50,
    degraded = 51,
    pool_exhausted = 100,     // plugin-specific: no free address in a range set
    address_unavailable = 101,  // plugin-specific: a requested address is held or cooling down
    check_failed = 102,       // plugin-specific: CHECK found a reservation missing
    zone_refused = 103,       // plugin-specific: a zone rule forbids this pod that pool
    internal = 999,
};

struct Error {
    Code code = Code::internal;
    std::string message;
    std::string details;
    int sys_errno = 0;  // errno at the failing call, 0 when not an OS error

    static Error from_errno(std::string what, int err = errno, Code code = Code::io) {
        return Error{code, std::move(what), {}, err};
    }
    // "message: strerror" when an errno is attached.
    std::string describe() const;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Code code, std::string message, std::string details = {}) {
    return std::unexpected(Error{code, std::move(message), std::move(details), 0});
}
inline std::unexpected<Error> fail_errno(std::string what, int err = errno, Code code = Code::io) {
    return std::unexpected(Error::from_errno(std::move(what), err, code));
}

}  // namespace warren
