#include "emulator/ids.h"

#include <regex>
#include <set>

#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

TEST(IdSourceTest, UuidsAreVersion4Shaped) {
  IdSource ids(1, kTaskIdStream);
  const std::regex shape(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = ids.NextUuid();
    EXPECT_TRUE(std::regex_match(uuid, shape)) << uuid;
  }
}

TEST(IdSourceTest, SameSeedAndStreamRepeat) {
  IdSource a(7, 3);
  IdSource b(7, 3);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.NextUuid(), b.NextUuid());
}

TEST(IdSourceTest, SeedsAndStreamsDiffer) {
  std::set<std::string> firsts;
  for (uint64_t seed : {1, 2}) {
    for (uint64_t stream : {kTaskIdStream, kRequestIdStream, kFirstTaskStream,
                            kFirstTaskStream + 1}) {
      firsts.insert(IdSource(seed, stream).NextUuid());
    }
  }
  EXPECT_EQ(firsts.size(), 8u);
}

TEST(IdSourceTest, NextHexHasTheRequestedLength) {
  IdSource ids(1, 1);
  EXPECT_EQ(ids.NextHex(12).size(), 12u);
  EXPECT_EQ(ids.NextHex(1).size(), 1u);
  EXPECT_EQ(ids.NextHex(40).size(), 16u);
}

TEST(FormatUuidTest, SetsVersionAndVariantBits) {
  EXPECT_EQ(FormatUuid(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(FormatUuid(~0ULL, ~0ULL), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

}  // namespace
}  // namespace neo_emulator
