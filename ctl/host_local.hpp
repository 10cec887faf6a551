#pragma once
// Reading a host-local data dir (/var/lib/cni/networks/<network>/), as the host-local plugin's
// disk store lays it out: one file per reserved IP, named by the address and holding
// "<containerID>\r\n<ifname>" (older host-local wrote only the container ID); last_reserved_ip.<N>
// holding the last address handed out from range set N; a `lock` file. Nothing is written.
#include <string>
#include <string_view>
#include <vector>

#include "warren/error.hpp"

namespace warren::ctl {

struct HostLocalEntry {
    std::string ip;  // canonical text
    std::string container_id;
    std::string ifname;  // empty when the file holds only the container ID
    std::string file;    // the file name
};

struct HostLocalLastReserved {
    int set = 0;
    std::string ip;
};

// A file that is not a usable reservation, and why ("not named by an IP address", "unreadable:
// Permission denied", "malformed: empty"...). `ip` is the file name when it is an address.
struct HostLocalRefusal {
    std::string ip, file, reason;
};

struct HostLocalDir {
    std::string network;                               // the directory's last path element
    std::vector<HostLocalEntry> entries;               // sorted by file name
    std::vector<HostLocalLastReserved> last_reserved;  // sorted by set
    std::vector<HostLocalRefusal> refused;             // sorted by file name
};

struct Reservation {
    std::string container_id, ifname;
};

// A reservation file's content; the error's message says what is wrong with it.
Result<Reservation> parse_reservation(std::string_view content);

// Errors (Code::io with errno, naming the directory) only when the directory itself cannot be
// read; each bad file is a refusal instead.
Result<HostLocalDir> read_host_local_dir(const std::string& dir);

}  // namespace warren::ctl
