// A Facebook Page's feed webhook (page_feed.h).
#include "listen/page_feed.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/values.h"
#include "core/signature.h"

namespace lifeline::listen {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return "";
}

Result<TimePoint> CreatedTime(const json& v, const std::string& where) {
  auto it = v.find("created_time");
  if (it != v.end() && it->is_number()) {
    return TimePoint(std::chrono::seconds(it->get<long long>()));
  }
  if (it != v.end() && it->is_string()) {
    auto t = config::ParseTimestamp(it->get<std::string>());
    if (t.ok()) return *t;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "{}.created_time: expected Unix seconds or an RFC 3339 time", where);
}

bool IsPostItem(const std::string& item) {
  return item == "post" || item == "status" || item == "photo" || item == "video" ||
         item == "share";
}

}  // namespace

Result<PageFeed> ParsePageFeed(std::string_view body, const std::vector<std::string>& page_ids) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "the body is not a JSON object");
  }
  if (Str(doc, "object") != "page") {
    return MakeError(ErrorCode::kInvalidArgument, "object: expected \"page\" (a Page webhook)");
  }
  auto entries = doc.find("entry");
  if (entries == doc.end() || !entries->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "entry: expected an array");
  }
  PageFeed out;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const json& e = (*entries)[i];
    const std::string where = fmt::format("entry[{}]", i);
    if (!e.is_object()) return MakeError(ErrorCode::kInvalidArgument, "{}: not an object", where);
    const std::string page = Str(e, "id");
    if (std::find(page_ids.begin(), page_ids.end(), page) == page_ids.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}.id: page '{}' is not one of the source's page_ids; nothing was stored",
                       where, page.substr(0, 40));
    }
    auto changes = e.find("changes");
    if (changes == e.end()) continue;  // messaging and other deliveries: not ours
    if (!changes->is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}.changes: expected an array", where);
    }
    for (std::size_t k = 0; k < changes->size(); ++k) {
      const json& c = (*changes)[k];
      const std::string cw = fmt::format("{}.changes[{}]", where, k);
      if (!c.is_object()) return MakeError(ErrorCode::kInvalidArgument, "{}: not an object", cw);
      auto value = c.find("value");
      if (Str(c, "field") != "feed" || value == c.end() || !value->is_object()) {
        ++out.ignored;
        continue;
      }
      PageFeedChange ch;
      ch.page_id = page;
      ch.item = Str(*value, "item");
      ch.verb = Str(*value, "verb");
      const bool comment = ch.item == "comment";
      if ((!comment && !IsPostItem(ch.item)) || (ch.verb != "add" && ch.verb != "edited")) {
        ++out.ignored;  // reactions, likes, removals, hides
        continue;
      }
      const std::string post_id = Str(*value, "post_id");
      const std::string comment_id = Str(*value, "comment_id");
      if (post_id.empty() || (comment && comment_id.empty())) {
        return MakeError(ErrorCode::kInvalidArgument, "{}.value: {} required", cw,
                         comment ? "post_id and comment_id" : "post_id");
      }
      LL_ASSIGN(ch.post.posted_at, CreatedTime(*value, cw + ".value"));
      ch.post.source = "facebook";
      ch.post.id = comment ? comment_id : post_id;
      // The permalink Facebook resolves for a post id ("PAGEID_POSTID") and one of its comments:
      // the same key however often Meta delivers the change.
      ch.post.url = "https://www.facebook.com/" + post_id;
      if (comment) ch.post.url += "?comment_id=" + comment_id;
      ch.post.text = Str(*value, "message");
      if (auto from = value->find("from"); from != value->end() && from->is_object()) {
        ch.post.author = Str(*from, "name");
        if (ch.post.author.empty()) ch.post.author = Str(*from, "id");
      }
      out.changes.push_back(std::move(ch));
    }
  }
  return out;
}

Result<api::PartResponse> HandlePageFeed(Listener& listener, const SourceConfig& source,
                                         const api::PartRequest& r, TimePoint now) {
  if (r.method == "GET") {
    LL_ASSIGN(std::string challenge,
              core::VerifyMetaSubscription(r.Query("hub.mode"), r.Query("hub.verify_token"),
                                           r.Query("hub.challenge"), source.verify_token));
    api::PartResponse out;
    out.content_type = "text/plain; charset=utf-8";
    out.raw_body = std::move(challenge);
    return out;
  }
  const std::string* sig = r.Header(core::kMetaSignatureHeader);
  if (auto s = core::CheckMetaSignature(source.app_secret, sig ? *sig : "", r.body); !s.ok()) {
    return MakeError(ErrorCode::kUnauthenticated, "listening source '{}': {}", source.name,
                     s.error().message());
  }
  LL_ASSIGN(PageFeed feed, ParsePageFeed(r.body, source.page_ids));
  // Stored per Page, each Page's changes in one transaction.
  std::int64_t stored = 0;
  for (const std::string& page : source.page_ids) {
    std::vector<Post> posts;
    for (const auto& c : feed.changes) {
      if (c.page_id == page) posts.push_back(c.post);
    }
    if (posts.empty()) continue;
    LL_ASSIGN(store::ListenAddResult added,
              listener.StoreDelivered(source.name, page, posts, "", now));
    stored += added.new_posts;
  }
  return api::PartResponse{
      200, {{"received", feed.changes.size()}, {"new_posts", stored}, {"ignored", feed.ignored}}};
}

}  // namespace lifeline::listen
