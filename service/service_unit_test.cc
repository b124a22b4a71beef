// Unit tests of the server's pure pieces: subscription filters, address
// checks, log lines, metrics text and the worker pool. The server as a whole
// is tested through a real process in tests/service/.
#include <atomic>
#include <string>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "service/log.h"
#include "service/metrics.h"
#include "service/recent_articles.h"
#include "service/server.h"
#include "service/subscription_hub.h"
#include "service/worker_pool.h"

namespace tagwire {
namespace {

v1::TaggedArticle Article() {
  v1::TaggedArticle article;
  v1::Tag* paris = article.add_tags();
  paris->set_concept_id("geo:2988507");
  paris->set_kind(v1::CONCEPT_KIND_LOCATION);
  paris->set_score(0.9);
  v1::Tag* nato = article.add_tags();
  nato->set_concept_id("org:nato");
  nato->set_kind(v1::CONCEPT_KIND_ORGANIZATION);
  nato->set_score(0.2);
  v1::Topic* politics = article.add_topics();
  politics->set_concept_id("topic:medtop:11000000");
  politics->set_iptc_code("medtop:11000000");
  politics->set_score(0.5);
  return article;
}

TEST(FilterMatches, EmptyFilterPassesEverything) {
  EXPECT_TRUE(FilterMatches(v1::SubscriptionFilter(), Article()));
  EXPECT_TRUE(FilterMatches(v1::SubscriptionFilter(), v1::TaggedArticle()));
}

TEST(FilterMatches, KindsNeedATagOfThatKindAboveTheMinimumScore) {
  v1::SubscriptionFilter filter;
  filter.add_kinds(v1::CONCEPT_KIND_ORGANIZATION);
  EXPECT_TRUE(FilterMatches(filter, Article()));
  filter.set_min_score(0.5);
  EXPECT_FALSE(FilterMatches(filter, Article()));  // NATO scores 0.2
  filter.add_kinds(v1::CONCEPT_KIND_TOPIC);
  EXPECT_TRUE(FilterMatches(filter, Article()));  // politics scores 0.5
  v1::SubscriptionFilter people;
  people.add_kinds(v1::CONCEPT_KIND_PERSON);
  EXPECT_FALSE(FilterMatches(people, Article()));
}

TEST(FilterMatches, ConceptIdsAndTopicsAreAllRequired) {
  v1::SubscriptionFilter filter;
  filter.add_concept_ids("org:nato");
  EXPECT_TRUE(FilterMatches(filter, Article()));
  filter.add_topics("medtop:04000000");
  EXPECT_FALSE(FilterMatches(filter, Article()));  // both conditions must hold
  filter.add_topics("medtop:11000000");
  EXPECT_TRUE(FilterMatches(filter, Article()));
  v1::SubscriptionFilter by_topic_id;
  by_topic_id.add_topics("topic:medtop:11000000");
  EXPECT_TRUE(FilterMatches(by_topic_id, Article()));
}

TEST(FilterMatches, MinimumScoreAloneNeedsOneResultThatReachesIt) {
  v1::SubscriptionFilter filter;
  filter.set_min_score(0.95);
  EXPECT_FALSE(FilterMatches(filter, Article()));
  filter.set_min_score(0.9);
  EXPECT_TRUE(FilterMatches(filter, Article()));
}

TEST(ValidateFilter, RejectsScoresOutsideTheUnitInterval) {
  v1::SubscriptionFilter filter;
  filter.set_min_score(1.5);
  EXPECT_EQ(ValidateFilter(filter).code(), absl::StatusCode::kInvalidArgument);
  filter.set_min_score(-0.1);
  EXPECT_EQ(ValidateFilter(filter).code(), absl::StatusCode::kInvalidArgument);
  filter.set_min_score(1.0);
  EXPECT_TRUE(ValidateFilter(filter).ok());
}

TEST(IsLoopbackAddress, KnowsLoopbackHosts) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/tagwire.sock"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.1.2.3:50051"));
  EXPECT_FALSE(IsLoopbackAddress("no-port"));
}

TEST(AppendJsonString, EscapesAndRepairsInvalidUtf8) {
  std::string out;
  AppendJsonString("a\"b\\c\nd\x01 é \xFF!", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001 é \xEF\xBF\xBD!\"");
}

TEST(ServiceMetrics, RendersCountersAndCumulativeHistogram) {
  ServiceMetrics metrics;
  metrics.RecordTagged(100, absl::Microseconds(80));
  metrics.RecordTagged(50, absl::Milliseconds(3));
  metrics.RecordFailed(7, v1::ERROR_REASON_BODY_NOT_UTF8);
  const std::string text = metrics.RenderPrometheus("0123456789abcdef");
  EXPECT_NE(text.find("tagwire_articles_tagged_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tagwire_article_bytes_total 157\n"), std::string::npos);
  EXPECT_NE(text.find("tagwire_article_errors_total{reason=\"BODY_NOT_UTF8\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("tagwire_tag_latency_seconds_bucket{le=\"0.0001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tagwire_tag_latency_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tagwire_tag_latency_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tagwire_taxonomy_info{version=\"0123456789abcdef\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(metrics.RenderPrometheus("").find("tagwire_taxonomy_info{"), std::string::npos);
}

v1::Article MakeArticle(std::string source, std::string id, int64_t version, std::string body) {
  v1::Article article;
  article.set_source(std::move(source));
  article.set_id(std::move(id));
  article.set_version(version);
  article.set_body(std::move(body));
  return article;
}

using Seen = RecentArticles::Seen;
const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(RecentArticles, SameContentIsAResendOtherContentAConflict) {
  RecentArticles recent(100, absl::Minutes(10));
  const v1::Article first = MakeArticle("afp", "a1", 0, "Paris");
  EXPECT_EQ(recent.Remember(first, kStart).seen, Seen::kNew);
  v1::Article resend = first;
  (*resend.mutable_metadata())["desk"] = "world";  // not tagged: not content
  resend.set_language("en");
  EXPECT_EQ(recent.Remember(resend, kStart + absl::Seconds(1)).seen, Seen::kSame);
  const RecentArticles::Verdict other =
      recent.Remember(MakeArticle("afp", "a1", 0, "Berlin"), kStart + absl::Seconds(2));
  EXPECT_EQ(other.seen, Seen::kConflict);
  EXPECT_EQ(other.first_seen, kStart);
  v1::Article retitled = first;
  retitled.set_title("Paris");
  EXPECT_EQ(recent.Remember(retitled, kStart).seen, Seen::kConflict);
  // The first content stands.
  EXPECT_EQ(recent.Remember(first, kStart + absl::Seconds(3)).seen, Seen::kSame);
}

TEST(RecentArticles, AnotherVersionOrSourceIsAnotherArticle) {
  RecentArticles recent(100, absl::Minutes(10));
  EXPECT_EQ(recent.Remember(MakeArticle("afp", "a1", 0, "Paris"), kStart).seen, Seen::kNew);
  EXPECT_EQ(recent.Remember(MakeArticle("afp", "a1", 1, "Berlin"), kStart).seen, Seen::kNew);
  EXPECT_EQ(recent.Remember(MakeArticle("dpa", "a1", 0, "Berlin"), kStart).seen, Seen::kNew);
  // Length-prefixed keys: ("a:b", "c") is not ("a", "b:c").
  EXPECT_EQ(recent.Remember(MakeArticle("a:b", "c", 0, "x"), kStart).seen, Seen::kNew);
  EXPECT_EQ(recent.Remember(MakeArticle("a", "b:c", 0, "y"), kStart).seen, Seen::kNew);
  EXPECT_EQ(recent.size(), 5u);
}

TEST(RecentArticles, ForgottenAfterTheWindowOrPastTheCapacity) {
  RecentArticles recent(3, absl::Minutes(10));
  EXPECT_EQ(recent.Remember(MakeArticle("s", "old", 0, "x"), kStart).seen, Seen::kNew);
  EXPECT_EQ(recent.Remember(MakeArticle("s", "old", 0, "y"), kStart + absl::Minutes(10)).seen,
            Seen::kNew);  // the window has passed: new again
  for (const char* id : {"b", "c", "d"}) {
    recent.Remember(MakeArticle("s", id, 0, "x"), kStart + absl::Minutes(11));
  }
  EXPECT_EQ(recent.size(), 3u);  // "old" pushed out by capacity
  EXPECT_EQ(recent.Remember(MakeArticle("s", "old", 0, "z"), kStart + absl::Minutes(11)).seen,
            Seen::kNew);
  EXPECT_EQ(recent.Remember(MakeArticle("s", "d", 0, "other"), kStart + absl::Minutes(11)).seen,
            Seen::kConflict);
}

TEST(RecentArticles, ForgetLetsAnotherContentTakeTheIdentity) {
  RecentArticles recent(2, absl::Minutes(10));
  const v1::Article first = MakeArticle("s", "a", 0, "x");
  const v1::Article second = MakeArticle("s", "a", 0, "y");
  recent.Remember(first, kStart);
  recent.Forget(second);  // not the remembered content: no effect
  EXPECT_EQ(recent.Remember(second, kStart).seen, Seen::kConflict);
  recent.Forget(first);
  EXPECT_EQ(recent.Remember(second, kStart + absl::Seconds(1)).seen, Seen::kNew);
  // The forgotten arrival leaving the queue does not take the new entry with it.
  recent.Remember(MakeArticle("s", "b", 0, "x"), kStart + absl::Seconds(2));
  EXPECT_EQ(recent.Remember(first, kStart + absl::Seconds(2)).seen, Seen::kConflict);
}

TEST(WorkerPool, RunsEveryTaskBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2);
    EXPECT_EQ(pool.size(), 2);
    for (int i = 0; i < 1000; ++i) pool.Submit([&ran](Tagger&) { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(WorkerPool, TasksMaySubmitMoreTasks) {
  absl::Notification done;
  WorkerPool pool(1);
  pool.Submit([&](Tagger&) { pool.Submit([&](Tagger&) { done.Notify(); }); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

}  // namespace
}  // namespace tagwire
