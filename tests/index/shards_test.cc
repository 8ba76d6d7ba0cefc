#include "index/shards.h"

#include <gtest/gtest.h>

namespace whoknows::index {
namespace {

TEST(ParsePostShardsTest, ReadsEachShardsServersInOrder) {
  auto shards = ParsePostShards(
      {{"tcp://10.0.0.1:7001", "tcp://db0:7000"}, {"tcp://db1:7000"}});
  ASSERT_TRUE(shards.ok()) << shards.status();
  ASSERT_EQ(shards->size(), 2u);
  ASSERT_EQ((*shards)[0].size(), 2u);
  EXPECT_EQ((*shards)[0][0].host, "10.0.0.1");
  EXPECT_EQ((*shards)[0][0].port, 7001);
  EXPECT_EQ((*shards)[0][1].ToString(), "tcp://db0:7000");
  EXPECT_EQ((*shards)[1][0].ToString(), "tcp://db1:7000");
  EXPECT_TRUE(ParsePostShards({})->empty());
}

TEST(ParsePostShardsTest, NamesTheShardAndTheReason) {
  auto no_server = ParsePostShards({{"tcp://a:1"}, {}});
  EXPECT_EQ(no_server.status().message(), "post_shards[1]: no server");
  auto no_scheme = ParsePostShards({{"a:1"}});
  EXPECT_EQ(no_scheme.status().message(),
            "post_shards[0]: want tcp://HOST:PORT, got \"a:1\"");
  auto bad_port = ParsePostShards({{"tcp://a:0"}});
  EXPECT_EQ(bad_port.status().message(),
            "post_shards[0]: bad port \"0\" in \"tcp://a:0\"");
  EXPECT_FALSE(ParseShardServers("tcp://a:1,").ok());
  EXPECT_EQ(ParseShardServers("tcp://a:1,tcp://b:2")->size(), 2u);
}

}  // namespace
}  // namespace whoknows::index
