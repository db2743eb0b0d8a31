// `lifeline token`: creates (printing the secret once), lists and revokes API tokens in the same
// database `lifeline serve` uses (serve.database / serve.data_dir of the config, or --data-dir).
#include "cli/token.h"

#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "api/tokens.h"
#include "config/config.h"
#include "serve/serve.h"
#include "store/store.h"

namespace lifeline::cli {
namespace {

constexpr int kExitUsage = 2;

struct TokenFlags {
  std::string config;
  std::string data_dir;
  std::string name;
  std::string role = "viewer";
  std::string id_or_name;
  bool json = false;
};

core::Result<std::unique_ptr<store::Store>> OpenStore(const TokenFlags& f) {
  auto cfg = f.config.empty() ? config::LoadBundled() : config::LoadFile(f.config);
  if (!cfg.ok()) return cfg.error();
  if (!f.data_dir.empty()) {
    cfg->serve.data_dir = f.data_dir;
    cfg->serve.database.clear();
  }
  return serve::OpenStore(*cfg);
}

store::Time Now() { return store::FromSystem(std::chrono::system_clock::now()); }

int Fail(const core::Error& e) {
  std::cerr << "lifeline token: " << e.message() << "\n";
  return e.code() == core::ErrorCode::kInvalidArgument || e.code() == core::ErrorCode::kNotFound ||
                 e.code() == core::ErrorCode::kAlreadyExists
             ? kExitUsage
             : 1;
}

int Create(const TokenFlags& f) {
  auto role = api::ParseTokenRole(f.role);
  if (!role.ok()) return Fail(role.error());
  auto st = OpenStore(f);
  if (!st.ok()) return Fail(st.error());
  auto created = api::CreateToken(**st, f.name, *role, Now());
  if (!created.ok()) return Fail(created.error());
  if (f.json) {
    auto j = api::TokenJson(created->token);
    j["token"] = created->secret;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << created->secret << "\n";
    std::cerr << fmt::format("token {} ({}, role {}) created; it is shown only this once\n",
                             created->token.id, created->token.name, f.role);
  }
  return 0;
}

int List(const TokenFlags& f) {
  auto st = OpenStore(f);
  if (!st.ok()) return Fail(st.error());
  auto tokens = api::ListTokens(**st);
  if (!tokens.ok()) return Fail(tokens.error());
  if (f.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tokens) arr.push_back(api::TokenJson(t));
    std::cout << nlohmann::json{{"tokens", arr}}.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<32}{:<20}{:<10}{:<22}{:<22}{}\n", "ID", "NAME", "ROLE", "CREATED",
                           "LAST USED", "REVOKED");
  for (const auto& t : *tokens) {
    auto j = api::TokenJson(t);
    auto text = [&](const char* k) {
      return j[k].is_string() ? j[k].get<std::string>() : std::string("-");
    };
    std::cout << fmt::format("{:<32}{:<20}{:<10}{:<22}{:<22}{}\n", text("id"), text("name"),
                             text("role"), text("created_at"), text("last_used_at"),
                             text("revoked_at"));
  }
  return 0;
}

int Revoke(const TokenFlags& f) {
  auto st = OpenStore(f);
  if (!st.ok()) return Fail(st.error());
  auto status = api::RevokeToken(**st, f.id_or_name, Now());
  if (!status.ok()) return Fail(status.error());
  std::cerr << "token " << f.id_or_name << " revoked\n";
  return 0;
}

}  // namespace

std::function<int()> AddTokenCommand(CLI::App& app, CLI::App** command) {
  auto flags = std::make_shared<TokenFlags>();
  auto* token = app.add_subcommand("token", "Create, list and revoke API tokens for serve");
  token->require_subcommand(1);
  token->add_option("-c,--config", flags->config, "YAML config (serve.data_dir, serve.database)")
      ->check(CLI::ExistingFile);
  token->add_option("--data-dir", flags->data_dir, "Folder of serve's database (default ./var)");
  token->add_flag("--json", flags->json, "Print JSON");
  auto* create = token->add_subcommand("create", "Create a token; prints its secret once");
  create->add_option("--name", flags->name, "A name to know it by (unique among active tokens)")
      ->required();
  create->add_option("--role", flags->role, "viewer, operator or admin")->capture_default_str();
  auto* list = token->add_subcommand("list", "List tokens (never their secrets)");
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id or name");
  revoke->add_option("token", flags->id_or_name, "Token id (tok_...) or name")->required();
  // --config, --data-dir and --json may also follow the action: `token list --json`.
  for (auto* sub : {create, list, revoke}) sub->fallthrough();
  *command = token;
  return [flags, create, list, revoke]() {
    if (*create) return Create(*flags);
    if (*list) return List(*flags);
    if (*revoke) return Revoke(*flags);
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
