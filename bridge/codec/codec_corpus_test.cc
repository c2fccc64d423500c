// Replays the committed fuzz corpus (tests/fuzz/codec_corpus) through the fuzz
// target, so its determinism, wire round-trip and error checks run in every
// build. A violated check aborts the test binary with the input.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace neobridge::codec {
namespace {

TEST(CodecCorpusTest, EveryCorpusFilePassesTheFuzzChecks) {
  const std::filesystem::path dir = NEOBRIDGE_CODEC_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << entry.path();
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
    ++files;
  }
  EXPECT_GE(files, 16) << "the corpus in " << dir << " went missing";
}

}  // namespace
}  // namespace neobridge::codec
