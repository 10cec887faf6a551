#pragma once
// Privileged tests may skip when not root, except under CI=true where a skip would hide a gap.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace warren::testing {
inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}
}  // namespace warren::testing

#define WARREN_REQUIRE_ROOT()                                                              \
    do {                                                                                   \
        if (::geteuid() != 0) {                                                            \
            if (::warren::testing::in_ci()) FAIL() << "privileged test cannot run: not root (CI=true)"; \
            GTEST_SKIP() << "needs root";                                                  \
        }                                                                                  \
    } while (0)
