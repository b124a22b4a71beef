// NatsPublisher against a real nats-server with JetStream (Debian's package),
// started by each test on a free loopback port with its own store, and killed
// and restarted where a test needs the broker to fail.
#include "service/nats_publisher.h"

#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/strings.h"
#include "gtest/gtest.h"

namespace tagwire {
namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

std::string NatsServerBinary() {
  for (const char* candidate : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "nats-server";
}

// One nats-server process with JetStream on a fixed port and store, so a
// restart finds the same data.
class NatsServer {
 public:
  NatsServer() : port_(FreePort()) {
    store_ = std::filesystem::temp_directory_path() /
             StrCat("tagwire-nats-test-", getpid(), "-", port_);
    std::filesystem::remove_all(store_);
  }
  ~NatsServer() {
    Kill(SIGKILL);
    std::filesystem::remove_all(store_);
  }

  void Start() {
    const std::string binary = NatsServerBinary();
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      // The broker's own log goes to its store directory, not the test's output.
      std::filesystem::create_directories(store_);
      const std::string log = (store_ / "nats-server.log").string();
      freopen(log.c_str(), "a", stderr);
      freopen(log.c_str(), "a", stdout);
      execlp(binary.c_str(), binary.c_str(), "-js", "-a", "127.0.0.1", "-p", port.c_str(), "-sd",
             store_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!Accepts(port_)) {
      ASSERT_LT(absl::Now(), deadline) << binary << " did not listen on " << port_;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  void Kill(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string Url() const { return StrCat("nats://127.0.0.1:", port_); }

 private:
  int port_;
  std::filesystem::path store_;
  pid_t pid_ = -1;
};

// A second, plain client that reads what the stream holds.
class StreamReader {
 public:
  explicit StreamReader(const std::string& url) {
    EXPECT_EQ(natsConnection_ConnectTo(&connection_, url.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_JetStream(&js_, connection_, nullptr), NATS_OK);
  }
  ~StreamReader() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
  }
  uint64_t Count(const std::string& stream) {
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, nullptr) != NATS_OK) return 0;
    const uint64_t count = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return count;
  }
  natsMsg* Get(const std::string& stream, uint64_t sequence) {
    natsMsg* message = nullptr;
    EXPECT_EQ(js_GetMsg(&message, js_, stream.c_str(), sequence, nullptr, nullptr), NATS_OK);
    return message;
  }

 private:
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

v1::TaggedArticle Article(const std::string& id) {
  v1::TaggedArticle tagged;
  tagged.set_source("wire");
  tagged.set_id(id);
  tagged.set_version(1);
  tagged.set_taxonomy_version("0123456789abcdef");
  v1::Tag* tag = tagged.add_tags();
  tag->set_concept_id("geo:703448");
  tag->set_kind(v1::CONCEPT_KIND_LOCATION);
  v1::Topic* topic = tagged.add_topics();
  topic->set_concept_id("topic:medtop:16000000");
  topic->set_iptc_code("medtop:16000000");
  return tagged;
}

// Collects the outcome of every publish.
class Outcomes {
 public:
  NatsPublisher::Done Expect() {
    {
      absl::MutexLock lock(&mutex_);
      ++expected_;
    }
    return [this](absl::Status status) {
      absl::MutexLock lock(&mutex_);
      statuses_.push_back(std::move(status));
    };
  }
  // Waits until every expected publish has an outcome; false on timeout.
  bool Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mutex_);
    const auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return statuses_.size() == expected_;
    };
    return mutex_.AwaitWithTimeout(absl::Condition(&all), timeout);
  }
  size_t Count() {
    absl::MutexLock lock(&mutex_);
    return statuses_.size();
  }
  size_t Ok() {
    absl::MutexLock lock(&mutex_);
    size_t ok = 0;
    for (const absl::Status& status : statuses_) ok += status.ok();
    return ok;
  }
  std::vector<absl::Status> All() {
    absl::MutexLock lock(&mutex_);
    return statuses_;
  }

 private:
  absl::Mutex mutex_;
  size_t expected_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<absl::Status> statuses_ ABSL_GUARDED_BY(mutex_);
};

NatsPublisherConfig Config(const NatsServer& server) {
  NatsPublisherConfig config;
  config.url = server.Url();
  config.subject = "tagwire.test.tagged";
  config.stream = "TAGWIRE_TEST";
  config.ack_wait = absl::Milliseconds(500);
  return config;
}

TEST(NatsPublisherTest, PublishesEveryArticleOnceWithRoutingHeaders) {
  NatsServer server;
  server.Start();
  auto publisher = NatsPublisher::Create(Config(server));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  Outcomes outcomes;
  for (int i = 0; i < 200; ++i) (*publisher)->Publish(Article(StrCat("a-", i)), outcomes.Expect());
  ASSERT_TRUE(outcomes.Wait(absl::Seconds(30))) << outcomes.Count() << " of 200";
  EXPECT_EQ(outcomes.Ok(), 200u);
  EXPECT_EQ((*publisher)->Stats().published, 200u);

  StreamReader reader(server.Url());
  EXPECT_EQ(reader.Count("TAGWIRE_TEST"), 200u);
  // Publishes sent before the stream existed were retried, so the stream's
  // order is not the publish order: check each message against itself.
  std::set<std::string> ids;
  for (uint64_t sequence = 1; sequence <= 200; ++sequence) {
    natsMsg* message = reader.Get("TAGWIRE_TEST", sequence);
    ASSERT_NE(message, nullptr);
    v1::TaggedArticle stored;
    ASSERT_TRUE(stored.ParseFromArray(natsMsg_GetData(message), natsMsg_GetDataLength(message)));
    ids.insert(stored.id());
    const char* value = nullptr;
    ASSERT_EQ(natsMsgHeader_Get(message, "Nats-Msg-Id", &value), NATS_OK);
    EXPECT_EQ(std::string(value), StrCat("wire:", stored.id(), ":1"));
    ASSERT_EQ(natsMsgHeader_Get(message, "Tagwire-Kinds", &value), NATS_OK);
    EXPECT_STREQ(value, "LOCATION,TOPIC");
    ASSERT_EQ(natsMsgHeader_Get(message, "Tagwire-Topics", &value), NATS_OK);
    EXPECT_STREQ(value, "medtop:16000000");
    ASSERT_EQ(natsMsgHeader_Get(message, "Content-Type", &value), NATS_OK);
    EXPECT_STREQ(value, "application/protobuf");
    natsMsg_Destroy(message);
  }
  EXPECT_EQ(ids.size(), 200u);
}

TEST(NatsPublisherTest, TheSameArticleIsStoredOnce) {
  NatsServer server;
  server.Start();
  auto publisher = NatsPublisher::Create(Config(server));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  Outcomes outcomes;
  for (int i = 0; i < 3; ++i) (*publisher)->Publish(Article("same"), outcomes.Expect());
  ASSERT_TRUE(outcomes.Wait(absl::Seconds(30)));
  EXPECT_EQ(outcomes.Ok(), 3u);
  EXPECT_EQ((*publisher)->Stats().duplicates, 2u);
  EXPECT_EQ(StreamReader(server.Url()).Count("TAGWIRE_TEST"), 1u);
}

TEST(NatsPublisherTest, WaitsForABrokerThatIsDownAtStart) {
  NatsServer server;  // not started yet
  auto publisher = NatsPublisher::Create(Config(server));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  EXPECT_FALSE((*publisher)->Connected());
  Outcomes outcomes;
  for (int i = 0; i < 20; ++i) (*publisher)->Publish(Article(StrCat("d-", i)), outcomes.Expect());
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(outcomes.Count(), 0u) << "acknowledged without a broker";
  server.Start();
  ASSERT_TRUE(outcomes.Wait(absl::Seconds(60))) << outcomes.Count() << " of 20";
  EXPECT_EQ(outcomes.Ok(), 20u);
  EXPECT_TRUE((*publisher)->Connected());
  EXPECT_EQ(StreamReader(server.Url()).Count("TAGWIRE_TEST"), 20u);
}

TEST(NatsPublisherTest, NothingLostOrDuplicatedWhenTheBrokerIsKilledMidStream) {
  NatsServer server;
  server.Start();
  auto publisher = NatsPublisher::Create(Config(server));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  constexpr int kArticles = 3000;
  Outcomes outcomes;
  std::thread producer([&] {
    for (int i = 0; i < kArticles; ++i) {
      (*publisher)->Publish(Article(StrCat("k-", i)), outcomes.Expect());
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (outcomes.Count() < kArticles / 4 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  server.Kill(SIGKILL);
  absl::SleepFor(absl::Milliseconds(700));
  server.Start();
  producer.join();
  ASSERT_TRUE(outcomes.Wait(absl::Seconds(90))) << outcomes.Count() << " of " << kArticles;
  EXPECT_EQ(outcomes.Ok(), static_cast<size_t>(kArticles));
  // Exactly once on the stream: every id, none twice.
  EXPECT_EQ(StreamReader(server.Url()).Count("TAGWIRE_TEST"), static_cast<uint64_t>(kArticles));
}

TEST(NatsPublisherTest, PublishGivesUpAfterItsWaitAndShutdownEndsThePending) {
  NatsServer server;  // never started
  NatsPublisherConfig config = Config(server);
  config.max_pending = 2;
  config.publish_wait = absl::Milliseconds(200);
  auto publisher = NatsPublisher::Create(config);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  Outcomes pending;
  (*publisher)->Publish(Article("p-0"), pending.Expect());
  (*publisher)->Publish(Article("p-1"), pending.Expect());
  Outcomes refused;
  const absl::Time start = absl::Now();
  (*publisher)->Publish(Article("p-2"), refused.Expect());
  ASSERT_TRUE(refused.Wait(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(refused.All()[0].code(), absl::StatusCode::kUnavailable) << refused.All()[0];
  EXPECT_EQ(pending.Count(), 0u);
  (*publisher)->Shutdown(absl::Milliseconds(100));
  ASSERT_TRUE(pending.Wait(absl::Seconds(5)));
  for (const absl::Status& status : pending.All()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  }
}

TEST(NatsPublisherTest, RejectsAnInvalidConfiguration) {
  NatsPublisherConfig config;
  EXPECT_EQ(NatsPublisher::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.url = "nats://127.0.0.1:1";
  config.max_pending = 0;
  EXPECT_EQ(NatsPublisher::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tagwire
