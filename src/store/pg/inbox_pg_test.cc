// The PostgreSQL inbox with several instances on one database: the first messages of a new
// customer reaching several instances at once end in one contact and one conversation, a webhook
// retried to several instances at once is stored once, and IngestAsync answers from the slice's
// own worker and finishes what was queued before the store closes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "store/pg/store_fixture.h"

namespace lifeline::store {
namespace {

using pg::testing::MustOk;
using std::chrono::seconds;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

NewInbound WhatsApp(std::string wamid, std::string from, Time sent, std::string text) {
  NewInbound m;
  m.source = "wa-main";
  m.platform = "whatsapp";
  m.platform_id = std::move(wamid);
  m.channel = "brand-whatsapp";
  m.address = std::move(from);
  m.name = "Ana";
  m.sent_at = sent;
  m.received_at = kT0 + seconds(30);
  m.text = std::move(text);
  return m;
}

using PgInbox = pg::testing::PgStoreTest;

TEST_F(PgInbox, TheFirstMessagesOfANewContactOnSeveralInstancesMakeOneConversation) {
  constexpr int kInstances = 6;
  constexpr int kRounds = 4;  // a new customer each round: more chances for the race
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < kInstances; ++i) instances.push_back(Instance(2));

  for (int round = 0; round < kRounds; ++round) {
    const std::string from = "3460099900" + std::to_string(round);
    std::latch start(kInstances);
    std::mutex mu;  // guards results
    std::vector<core::Result<Ingested>> results;
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] {
        // Each instance gets its own first message of the customer and, at once, the same
        // retried webhook as every other instance.
        NewInbound own = WhatsApp("wamid." + from + "." + std::to_string(i), from,
                                  kT0 + seconds(i + 1), "message " + std::to_string(i));
        NewInbound retried = WhatsApp("wamid." + from + ".dup", from, kT0, "hello?");
        start.arrive_and_wait();
        auto a = instances[i]->Inbox().Ingest(i % 2 == 0 ? own : retried);
        auto b = instances[i]->Inbox().Ingest(i % 2 == 0 ? retried : own);
        std::lock_guard lock(mu);
        results.push_back(std::move(a));
        results.push_back(std::move(b));
      });
    }
    for (auto& t : threads) t.join();

    std::set<std::string> conversations, contacts;
    int dup_created = 0;
    std::set<std::string> dup_ids;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.error().ToString();
      conversations.insert(r->conversation.id);
      contacts.insert(r->conversation.contact);
      if (r->message.platform_id.ends_with(".dup")) {
        dup_ids.insert(r->message.id);
        dup_created += r->created ? 1 : 0;
      } else {
        EXPECT_TRUE(r->created) << r->message.platform_id;
      }
    }
    EXPECT_EQ(conversations.size(), 1u) << "round " << round;
    EXPECT_EQ(contacts.size(), 1u) << "round " << round;
    EXPECT_EQ(dup_created, 1) << "the retried webhook is stored by exactly one instance";
    EXPECT_EQ(dup_ids.size(), 1u);

    // What any instance reads afterwards: one thread with every message once, waiting since the
    // earliest, on the one address.
    Store& reader = *instances[round % kInstances];
    const std::string conv_id = *conversations.begin();
    auto msgs = MustOk(reader.Inbox().Messages({.conversation_id = conv_id}));
    ASSERT_EQ(msgs.size(), static_cast<std::size_t>(kInstances + 1));
    EXPECT_EQ(msgs.front().text, "hello?");
    auto conv = MustOk(reader.Inbox().Get(conv_id));
    EXPECT_EQ(conv.waiting_since, kT0);
    EXPECT_EQ(conv.last_inbound_at, kT0 + seconds(kInstances));
    EXPECT_EQ(conv.address, from);
    auto addresses = MustOk(reader.Inbox().Addresses(conv.contact));
    EXPECT_EQ(addresses.size(), 1u);
  }
  EXPECT_EQ(MustOk(instances[0]->Inbox().List({})).size(), static_cast<std::size_t>(kRounds));
}

// A contact the config knows writing from several addresses at once (its first messages on each
// channel reaching different instances): one conversation, every address mapped to the contact.
TEST_F(PgInbox, AConfiguredContactWritingFromSeveralAddressesAtOnceGetsOneConversation) {
  constexpr int kInstances = 6;
  constexpr int kRounds = 4;
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < kInstances; ++i) instances.push_back(Instance(2));
  for (int round = 0; round < kRounds; ++round) {
    const std::string contact = "customer-" + std::to_string(round);
    std::latch start(kInstances);
    std::mutex mu;  // guards results
    std::vector<core::Result<Ingested>> results;
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] {
        NewInbound m = WhatsApp("tg." + contact + "." + std::to_string(i),
                                contact + "-chat-" + std::to_string(i), kT0 + seconds(i), "hi");
        m.channel = i % 2 == 0 ? "brand-telegram" : "brand-whatsapp";
        m.config_contact = contact;
        start.arrive_and_wait();
        auto r = instances[i]->Inbox().Ingest(m);
        std::lock_guard lock(mu);
        results.push_back(std::move(r));
      });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> conversations;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.error().ToString();
      EXPECT_TRUE(r->created);
      conversations.insert(r->conversation.id);
    }
    EXPECT_EQ(conversations.size(), 1u) << "round " << round;
    EXPECT_EQ(*conversations.begin(), ConversationIdFor(contact));
    EXPECT_EQ(MustOk(instances[0]->Inbox().Addresses(contact)).size(),
              static_cast<std::size_t>(kInstances));
    auto conv = MustOk(instances[0]->Inbox().Get(ConversationIdFor(contact)));
    EXPECT_EQ(conv.waiting_since, kT0);
    EXPECT_EQ(conv.address, contact + "-chat-" + std::to_string(kInstances - 1))
        << "where the customer wrote last";
    EXPECT_EQ(MustOk(instances[0]->Inbox().Messages({.conversation_id = conv.id})).size(),
              static_cast<std::size_t>(kInstances));
  }
}

TEST_F(PgInbox, IngestAsyncAnswersFromItsWorkerAndFinishesBeforeTheStoreCloses) {
  constexpr int kMessages = 20;
  std::atomic<int> ok{0}, failed{0}, on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  {
    auto store = Instance(2);
    for (int i = 0; i < kMessages; ++i) {
      store->Inbox().IngestAsync(
          WhatsApp("wamid.async." + std::to_string(i), "34600111222", kT0 + seconds(i), "x"),
          [&](core::Result<Ingested> r) {
            if (std::this_thread::get_id() == caller) ++on_caller;
            if (r.ok() && r->created) {
              ++ok;
            } else {
              ++failed;
            }
          });
    }
    // A bad message is refused at once, on the caller's thread.
    bool refused = false;
    store->Inbox().IngestAsync(WhatsApp("", "1", kT0, "x"), [&](core::Result<Ingested> r) {
      refused = !r.ok() && r.error().code() == core::ErrorCode::kInvalidArgument;
    });
    EXPECT_TRUE(refused);
    // The store closes now: what was queued is stored and answered first.
  }
  EXPECT_EQ(ok.load(), kMessages);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(on_caller.load(), 0) << "IngestAsync must not store on the caller's thread";
  auto other = Instance(1);
  auto convs = MustOk(other->Inbox().List({}));
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(MustOk(other->Inbox().Messages({.conversation_id = convs[0].id})).size(),
            static_cast<std::size_t>(kMessages));
}

}  // namespace
}  // namespace lifeline::store
