#pragma once
// Network namespace cookies (SO_NETNS_COOKIE, kernel >= 5.14): a 64-bit id the kernel gives each
// network namespace and, unlike its nsfs inode number, never hands to another one. The GC uses
// it to tell whether the process that holds a dead pod's recorded inode is in that pod's
// namespace or in a newer one that got the same inode number.
//
// NetnsCookieReader is the seam (fake: tests/support/fake_netns_cookie_reader.hpp). The real one
// reads on a short-lived thread that setns()es into the namespace and makes a socket there; the
// calling thread never changes namespace.
// Thread-safety: none per instance; each call makes and joins its own thread.
// Errors: values (a namespace that went away, or was replaced at the path, is an error too).
#include <cstdint>
#include <string>

#include "warren/error.hpp"

namespace warren::liveness {

class NetnsCookieReader {
  public:
    virtual ~NetnsCookieReader() = default;
    // The cookie of the network namespace at `path` (/proc/<pid>/ns/net or an nsfs mount).
    // With `inode` non-zero, fails unless the namespace opened there has that inode (a pid can
    // be reused by a process in another namespace between the holder scan and this read).
    virtual Result<uint64_t> cookie_of(const std::string& path, uint64_t inode) = 0;
};

class ThreadNetnsCookieReader final : public NetnsCookieReader {
  public:
    Result<uint64_t> cookie_of(const std::string& path, uint64_t inode) override;
};

// The cookie of the namespace a socket was made in.
Result<uint64_t> socket_netns_cookie(int sock_fd);
// The cookie of the network namespace open at `netns_fd`, read on a short-lived thread.
Result<uint64_t> netns_cookie_of_fd(int netns_fd);

}  // namespace warren::liveness
