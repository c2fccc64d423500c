#include "benchmarks/firehose_probe.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::bench {
namespace {

TEST(FindFirehoseStampTest, ReadsContentAndWholeDataLines) {
  std::optional<FirehoseStamp> stamp =
      FindFirehoseStamp("firehose seq=17 t=1767225600123456789");
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp->seq, 17);
  EXPECT_EQ(stamp->sent_ns, 1767225600123456789);

  stamp = FindFirehoseStamp(
      R"({"id":"e1","isSynthetic":false,"type":"agentResponse","eventBody":)"
      R"({"type":"assistant_message","content":"firehose seq=3 t=42",)"
      R"("is_final":false,"token_usage":{}}})");
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp->seq, 3);
  EXPECT_EQ(stamp->sent_ns, 42);
}

TEST(FindFirehoseStampTest, NothingForOtherOrMalformedText) {
  EXPECT_FALSE(FindFirehoseStamp("").has_value());
  EXPECT_FALSE(FindFirehoseStamp("Looking into: the dev stack").has_value());
  EXPECT_FALSE(FindFirehoseStamp("firehose seq= t=1").has_value());
  EXPECT_FALSE(FindFirehoseStamp("firehose seq=1").has_value());
  EXPECT_FALSE(FindFirehoseStamp("firehose seq=1 t=").has_value());
  EXPECT_FALSE(FindFirehoseStamp("firehose seq=1 x=5").has_value());
  EXPECT_FALSE(
      FindFirehoseStamp("firehose seq=99999999999999999999 t=1").has_value());
}

TEST(SequenceCheckTest, CountsInOrderGapsAndDuplicates) {
  SequenceCheck check;
  EXPECT_EQ(check.Add(1), SequenceCheck::Verdict::kNext);
  EXPECT_EQ(check.Add(2), SequenceCheck::Verdict::kNext);
  EXPECT_EQ(check.Add(2), SequenceCheck::Verdict::kDuplicate);
  EXPECT_EQ(check.Add(5), SequenceCheck::Verdict::kAfterGap);
  EXPECT_EQ(check.Add(4), SequenceCheck::Verdict::kDuplicate);  // Late.
  EXPECT_EQ(check.Add(6), SequenceCheck::Verdict::kNext);
  EXPECT_EQ(check.received(), 4);
  EXPECT_EQ(check.duplicates(), 2);
  EXPECT_EQ(check.skipped(), 2);
  EXPECT_EQ(check.next(), 7);
}

TEST(SequenceCheckTest, StartsWhereTold) {
  SequenceCheck check(101);
  EXPECT_EQ(check.Add(101), SequenceCheck::Verdict::kNext);
  EXPECT_EQ(check.Add(1), SequenceCheck::Verdict::kDuplicate);
  EXPECT_EQ(check.received(), 1);
}

}  // namespace
}  // namespace neobridge::bench
