#include "core/taxonomy_holder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/tagger.h"
#include "core/test_support.h"

namespace tagwire {
namespace {

using ::testing::HasSubstr;
using test_support::CompileJsonl;
using test_support::FindTag;

constexpr char kVersionA[] = R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})";
constexpr char kVersionB[] =
    R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})"
    "\n"
    R"({"id":"geo:berlin","kind":"LOCATION","name":"Berlin"})"
    "\n"
    R"json({"id":"topic:politics","kind":"TOPIC","name":"politics","rules":[{"regex":"elect(ion|ed)","weight":2}]})json";

class TaxonomyHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = CompileJsonl(kVersionA);
    auto b = CompileJsonl(kVersionB);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    a_ = *a;
    b_ = *b;
    ASSERT_NE(a_->version(), b_->version());
  }

  static TaxonomyHolder::Loader Returning(std::shared_ptr<const CompiledTaxonomy> taxonomy) {
    return [taxonomy]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
      return taxonomy;
    };
  }

  std::shared_ptr<const CompiledTaxonomy> a_;
  std::shared_ptr<const CompiledTaxonomy> b_;
};

TEST_F(TaxonomyHolderTest, EmptyUntilSomethingIsLoaded) {
  TaxonomyHolder holder;
  EXPECT_EQ(holder.Get(), nullptr);
  // Tagging with what an empty holder returns is an error, not a crash.
  Tagger tagger;
  EXPECT_EQ(tagger.Tag(holder.Get(), {"", "Paris"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TaxonomyHolderTest, InitialSnapshotIsCurrent) {
  TaxonomyHolder holder(a_);
  EXPECT_EQ(holder.Get(), a_);
}

TEST_F(TaxonomyHolderTest, ReloadPublishesTheNewSnapshot) {
  TaxonomyHolder holder(a_);
  auto reloaded = holder.Reload(Returning(b_));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(*reloaded, b_);
  EXPECT_EQ(holder.Get(), b_);
}

TEST_F(TaxonomyHolderTest, ReloadFromNothing) {
  TaxonomyHolder holder;
  ASSERT_TRUE(holder.Reload(Returning(a_)).ok());
  EXPECT_EQ(holder.Get(), a_);
}

TEST_F(TaxonomyHolderTest, FailedReloadKeepsTheOldVersion) {
  TaxonomyHolder holder(a_);
  auto reloaded = holder.Reload([]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
    return absl::InvalidArgumentError("bad.jsonl:3: unknown kind 'CITY'");
  });
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(reloaded.status().message()), "bad.jsonl:3: unknown kind 'CITY'");
  EXPECT_EQ(holder.Get(), a_);
  EXPECT_EQ(holder.Get()->version(), a_->version());
}

TEST_F(TaxonomyHolderTest, FailedReloadFromRealTaxonomyErrorKeepsOldVersion) {
  TaxonomyHolder holder(a_);
  // A loader that really loads and compiles: the regex is rejected.
  auto reloaded = holder.Reload([] {
    return CompileJsonl(
        R"({"id":"t:x","kind":"TOPIC","name":"x","rules":[{"regex":"(unclosed"}]})", {},
        "next.jsonl");
  });
  ASSERT_FALSE(reloaded.ok());
  EXPECT_THAT(std::string(reloaded.status().message()), HasSubstr("next.jsonl:1"));
  EXPECT_EQ(holder.Get(), a_);
  // And the holder still works for the next good reload.
  ASSERT_TRUE(holder.Reload(Returning(b_)).ok());
  EXPECT_EQ(holder.Get(), b_);
}

TEST_F(TaxonomyHolderTest, LoaderReturningNullIsAnError) {
  TaxonomyHolder holder(a_);
  auto reloaded = holder.Reload(Returning(nullptr));
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(holder.Get(), a_);
}

TEST_F(TaxonomyHolderTest, SetPublishes) {
  TaxonomyHolder holder(a_);
  holder.Set(b_);
  EXPECT_EQ(holder.Get(), b_);
}

TEST_F(TaxonomyHolderTest, SnapshotOutlivesReload) {
  TaxonomyHolder holder(a_);
  std::shared_ptr<const CompiledTaxonomy> in_flight = holder.Get();
  const std::string version_a = a_->version();
  a_.reset();  // the holder's and the reader's references remain
  ASSERT_TRUE(holder.Reload(Returning(b_)).ok());
  // The holder dropped A; the article in flight still finishes on it.
  EXPECT_EQ(in_flight.use_count(), 1);
  Tagger tagger;
  auto result = tagger.Tag(in_flight, {"", "Paris and Berlin"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->taxonomy_version(), version_a);
  EXPECT_NE(FindTag(*result, "geo:paris"), nullptr);
  EXPECT_EQ(FindTag(*result, "geo:berlin"), nullptr);
}

// Readers tag continuously while a writer keeps reloading between A and B.
// Every reader always sees a complete taxonomy: tagging succeeds, the version
// is A's or B's, and the result is exactly what that version produces.
TEST_F(TaxonomyHolderTest, ReadersDuringReloadsAlwaysSeeACompleteTaxonomy) {
  const ArticleText article = {"Paris", "Paris and Berlin: the election."};
  std::string expected_a, expected_b;
  {
    Tagger tagger;
    auto ra = tagger.Tag(a_, article);
    auto rb = tagger.Tag(b_, article);
    ASSERT_TRUE(ra.ok());
    ASSERT_TRUE(rb.ok());
    expected_a = test_support::DescribeResult(*ra);
    expected_b = test_support::DescribeResult(*rb);
    ASSERT_NE(expected_a, expected_b);
  }

  TaxonomyHolder holder(a_);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, unknown_versions{0}, wrong_results{0};
  std::atomic<int> saw_a{0}, saw_b{0};
  constexpr int kReaders = 4;
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      Tagger tagger;  // one per thread, switching taxonomies as the holder does
      int iterations = 0;
      while (!stop.load() || iterations < 50) {
        ++iterations;
        const std::shared_ptr<const CompiledTaxonomy> snapshot = holder.Get();
        if (snapshot == nullptr) {
          ++failures;
          continue;
        }
        auto result = tagger.Tag(snapshot, article);
        if (!result.ok()) {
          ++failures;
          continue;
        }
        const std::string description = test_support::DescribeResult(*result);
        if (result->taxonomy_version() == a_->version()) {
          ++saw_a;
          if (description != expected_a) ++wrong_results;
        } else if (result->taxonomy_version() == b_->version()) {
          ++saw_b;
          if (description != expected_b) ++wrong_results;
        } else {
          ++unknown_versions;
        }
      }
    });
  }
  // Reload with freshly compiled snapshots too, so old ones are really freed
  // while readers may still hold them.
  for (int i = 0; i < 200; ++i) {
    if (i % 10 == 0) {
      // (EXPECT, not ASSERT: returning early would leave readers running.)
      auto reloaded =
          holder.Reload([&] { return CompileJsonl(i % 20 == 0 ? kVersionB : kVersionA); });
      EXPECT_TRUE(reloaded.ok()) << reloaded.status();
    } else {
      EXPECT_TRUE(holder.Reload(Returning(i % 2 == 0 ? a_ : b_)).ok());
    }
    if (i % 7 == 0) {
      // A failing reload in the middle changes nothing.
      const auto before = holder.Get();
      EXPECT_FALSE(holder
                       .Reload([]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
                         return absl::InternalError("disk on fire");
                       })
                       .ok());
      EXPECT_EQ(holder.Get(), before);
    }
    std::this_thread::yield();
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(unknown_versions.load(), 0);
  EXPECT_EQ(wrong_results.load(), 0);
  EXPECT_GT(saw_a.load() + saw_b.load(), kReaders * 50 - 1);
}

// Reloads are serialized: two loaders never run at the same time.
TEST_F(TaxonomyHolderTest, ReloadsAreSerialized) {
  TaxonomyHolder holder(a_);
  std::atomic<int> running{0};
  std::atomic<int> overlaps{0};
  auto loader = [&]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
    if (running.fetch_add(1) != 0) ++overlaps;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    running.fetch_sub(1);
    return b_;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(holder.Reload(loader).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(holder.Get(), b_);
}

// Get() does not wait for a slow reload to finish.
TEST_F(TaxonomyHolderTest, GetDoesNotWaitForReload) {
  TaxonomyHolder holder(a_);
  std::atomic<bool> loader_started{false};
  std::atomic<bool> release{false};
  std::thread reloader([&] {
    auto reloaded = holder.Reload([&]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
      loader_started = true;
      while (!release.load()) std::this_thread::yield();
      return b_;
    });
    EXPECT_TRUE(reloaded.ok());
  });
  while (!loader_started.load()) std::this_thread::yield();
  // The reload is in progress and blocked; Get() returns the old snapshot now.
  EXPECT_EQ(holder.Get(), a_);
  release = true;
  reloader.join();
  EXPECT_EQ(holder.Get(), b_);
}

}  // namespace
}  // namespace tagwire
