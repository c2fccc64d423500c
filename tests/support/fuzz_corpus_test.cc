// Replays a committed fuzz corpus through its libFuzzer target
// (LLVMFuzzerTestOneInput, linked in), so the target's checks run in every
// build, not only in fuzz builds. A violated check aborts the test binary
// with the target's own report. Compiled into one test per target with
// NEOBRIDGE_FUZZ_CORPUS_DIR (the corpus) and NEOBRIDGE_FUZZ_CORPUS_MIN_FILES
// (how many files it has at least, so a lost corpus fails) defined.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace neobridge::test_support {
namespace {

TEST(FuzzCorpusTest, EveryCorpusFilePassesTheFuzzChecks) {
  const std::filesystem::path dir = NEOBRIDGE_FUZZ_CORPUS_DIR;
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
  EXPECT_GE(files, NEOBRIDGE_FUZZ_CORPUS_MIN_FILES)
      << "the corpus in " << dir << " went missing";
}

}  // namespace
}  // namespace neobridge::test_support
