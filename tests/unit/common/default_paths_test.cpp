// The defaults the agent and the plugin share (include/warren/default_paths.hpp).
#include "warren/default_paths.hpp"

#include <gtest/gtest.h>

using warren::default_delete_queue_dir;

TEST(DefaultPaths, DeleteQueueIsBesideTheSocket) {
    EXPECT_EQ(default_delete_queue_dir(warren::kDefaultSocket), "/run/warren/delete-queue");
    EXPECT_EQ(default_delete_queue_dir("/warren.sock"), "/delete-queue");
    EXPECT_EQ(default_delete_queue_dir("warren.sock"), "./delete-queue");
    EXPECT_EQ(default_delete_queue_dir("rel/dir/w.sock"), "rel/dir/delete-queue");
}
