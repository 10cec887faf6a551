#pragma once
// A privileged test with an in-process HTTPS fake of the Kubernetes API (tests/support/
// fake_kube_api.hpp) in <tmp>/api, for warrend --kube-node as a child process. The agents are
// killed before the fake stops, so no agent ever talks to a server that is going away.
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "fixture.hpp"
#include "support/fake_kube_api.hpp"

namespace warren::it {

class KubeApiTest : public IntegrationTest {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        std::filesystem::create_directories(tmp("api"));
        api_.emplace(tmp("api"));
    }
    void TearDown() override {
        for (auto& [n, a] : agents_) a->kill9();
        api_.reset();
    }
    // Polls `what` every 100 ms until it holds or `timeout` passes; the caller asserts the result.
    template <class F>
    static bool eventually(F what, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        do {
            if (what()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } while (std::chrono::steady_clock::now() < deadline);
        return false;
    }

    std::optional<testing::FakeKubeApi> api_;
};

}  // namespace warren::it
