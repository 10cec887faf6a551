#pragma once
// A HostNetworkReader that answers what the test put in it (or an error), counting the reads.
#include "netcheck/host_network.hpp"

namespace warren::testing {

class FakeHostNetwork final : public netcheck::HostNetworkReader {
  public:
    Result<core::HostNetwork> read() override {
        ++reads;
        if (error) return std::unexpected(*error);
        return network;
    }
    core::HostNetwork network;
    std::optional<Error> error;
    int reads = 0;
};

}  // namespace warren::testing
