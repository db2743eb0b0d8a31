// The playbook engine (issue 9): runs the loaded contingency plan when incidents open — notify the
// team through surviving channels, post the holding statement, assign tasks, ask for approvals,
// escalate what nobody acknowledges — and carries each incident through its lifecycle
// (detected -> acknowledged -> mitigating -> monitoring -> resolved -> reviewed). Its state is
// durable (store/playbook.h), its waits are durable timers (timers/scheduler.h), and every
// transition, step, message, acknowledgement, approval and escalation is on the incident's
// timeline with who and when.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/listeners.h"
#include "core/result.h"
#include "playbook/links.h"
#include "playbook/messenger.h"
#include "playbook/plan.h"
#include "playbook/step_handler.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::playbook {

// The timer kinds the engine registers with the scheduler (all "playbook.*").
inline constexpr std::string_view kTriggerTimer = "playbook.trigger";    // min_duration re-check
inline constexpr std::string_view kWaitTimer = "playbook.wait";          // a wait step ends
inline constexpr std::string_view kRetryTimer = "playbook.retry";        // on_error retry
inline constexpr std::string_view kApprovalTimer = "playbook.approval";  // approve timeout
inline constexpr std::string_view kEscalateTimer = "playbook.escalate";  // the next level
inline constexpr std::string_view kMonitorTimer = "playbook.monitor";    // the window ends

// The monitoring window of an incident's platforms, for the part that probes them (serve probes
// them every `probe_interval` while it lasts).
struct MonitorWindow {
  std::string incident_id;
  std::vector<std::string> platforms;
  Duration probe_interval{0};  // 0 = the usual interval
  bool active = false;         // false: the window ended (resolved) or the platform failed again
};

struct EngineOptions {
  core::Clock* clock = nullptr;  // null = core::RealClock()
  // Catalog platform id -> name, for {platform} ("WhatsApp"); the id when missing.
  std::map<std::string, std::string, std::less<>> platform_names;
  // Links in messages: base + kLinkPath + token (e.g. "https://lifeline.example.com"). Both set
  // or messages carry no links (IssueLink then fails with kFailedPrecondition).
  std::string link_base;
  std::string link_secret;
  Duration link_ttl = std::chrono::hours(24);
  // The parts that carry out move_conversations and pause; null or unregistered kinds are
  // recorded as not available yet. Not owned; must outlive the engine.
  StepHandlers* handlers = nullptr;
  // Called (under the engine's lock: only record or queue) when a monitoring window starts or
  // ends. Null = nobody changes the probe interval.
  std::function<void(const MonitorWindow&)> on_monitor;
  // One line per notable event (a store error, a message that could not be accepted).
  std::function<void(std::string_view)> log;
  // Several instances on one database (serve/cluster.h): each resumes only the responses of
  // incidents on the platforms it runs (Engine::SetOwned), and looks again when those change.
  // False: one instance, every platform its own.
  bool shared = false;
};

// What a redeemed link did.
struct Redeemed {
  LinkAction action = LinkAction::kAcknowledge;
  store::Assignment assignment;  // after the action
  std::string by;                // who it was sent to ("link" when unknown)
};

// An incident's response as the console shows it.
struct IncidentResponse {
  store::IncidentLifecycle lifecycle;
  std::vector<store::ResponseRun> runs;
  // Recorded steps; a step of a run that is absent here has not started (pending).
  std::vector<store::StepRecord> steps;
  std::vector<store::Assignment> assignments;
};

// How the engine runs a plan:
//
// Triggers. Each opened (or updated) incident is matched with Plan::Responding. A response whose
// trigger has a min_duration starts only when a "playbook.trigger" timer, due min_duration after
// the incident opened, finds it still open with a listed verdict; otherwise it starts at once.
// A response starts once per incident (the run is keyed by incident and response).
//
// Steps run in order; a parallel group's steps start together and the group ends when all have.
// notify, post, task and a step with a handler end when their messages or assignments are
// stored; wait ends on its timer; approve holds the steps after it until a decision or its
// timeout. Each step's durable effects are keyed by incident, response and step id (messages:
// "playbook/<incident>/<response>/<step>/<person or inventory id>" as the relay's idempotency
// key), so a restart that runs a step again sends and creates nothing twice. A step that fails
// (no message accepted for someone, a handler's error) never stops the engine: on_error says
// whether the response goes on, retries the step (the steps after wait), stops, or goes on and
// asks the escalation policy's levels for help.
//
// Escalation follows EscalationPolicy's contract: the first level is asked `after` an assignment
// was given (an approval: after its timeout), each next level `after` that, each level's people
// reached with Plan::Reach (working hours; off-hours goes to on-call). An acknowledgement (an
// approval: a decision) ends the chase.
//
// Lifecycle: detected when a response starts; acknowledged when a person first acknowledges (or
// decides) anything of the incident; mitigating when the first post, conversation move or pause
// is done (from detected or acknowledged: a response that acts before anyone acknowledged skips
// acknowledged); monitoring when the incident closes (steps not started are skipped, open
// approvals and notifications expire, tasks stay open, the after_restoration checklist becomes
// tasks); back to mitigating when an incident on one of its platforms opens during the window
// (monitoring again, with a new window, when that one closes); resolved when the window ends
// quietly; reviewed when a person marks it (MarkReviewed).
//
// Thread-safety: every public method may be called from any thread. The feed's sink only queues;
// one engine thread handles the notices, timer handlers run on the scheduler's thread, people's
// actions on their callers' threads, and all of them take turns on one lock, so each sees the
// durable state the previous one left.
class Engine {
 public:
  // `plan`, `store`, `scheduler` and `messenger` are not owned and must outlive the engine.
  Engine(const Plan& plan, store::Store& store, timers::Scheduler& scheduler, Messenger& messenger,
         EngineOptions options);
  ~Engine();  // Stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Registers the engine's timer handlers with the scheduler (start the scheduler after this),
  // starts the engine thread and resumes what a previous run left: responses still running
  // continue, incidents that closed meanwhile go to monitoring. kFailedPrecondition when started
  // before; the scheduler's error when a playbook.* kind has a handler already.
  [[nodiscard]] core::Status Start();
  // Stops the engine thread (notices not handled yet are dropped: the feed gives the open
  // incidents again at the next start, and Start resumes the rest). Timer handlers and actions
  // after Stop do nothing and fail with kUnavailable. Idempotent. Never call it from a handler.
  void Stop();

  // Subscribes to the incidents (the sink only queues). Keep the handle while the engine runs.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  // What the subscription calls: queues the notice for the engine thread.
  void OnIncident(const core::IncidentNotice& notice);
  // Waits (real time, at most `timeout`) until every queued notice was handled. For tests.
  bool WaitIdle(std::chrono::milliseconds timeout);

  // Shared (EngineOptions::shared): the platforms this instance runs now. When they change, what
  // a previous owner left of their responses is resumed here, as Start does after a restart.
  void SetOwned(const std::vector<std::string>& platforms);
  // The monitoring windows running now (drills left out), each with the plan's probe interval:
  // whichever instance runs a platform probes it so, wherever the window started.
  [[nodiscard]] core::Result<std::vector<MonitorWindow>> ActiveWindows();

  // ---- People's actions. `who` names the person (a team id, a token's name, "cli:USER"). ----
  // Errors: kNotFound for an unknown id, kFailedPrecondition when the state does not allow it
  // (its message names the state and who put it there), kInvalidArgument for an empty `who` or
  // the wrong kind (an approval is approved or refused, not acknowledged).

  // A task or notification: acknowledged (stops its escalation).
  [[nodiscard]] core::Result<store::Assignment> Acknowledge(std::string_view assignment,
                                                            std::string_view who);
  // A task: done (acknowledged too, if it was not).
  [[nodiscard]] core::Result<store::Assignment> Done(std::string_view assignment,
                                                     std::string_view who);
  // An approval: the steps after it run.
  [[nodiscard]] core::Result<store::Assignment> Approve(std::string_view approval,
                                                        std::string_view who);
  // An approval: the response stops (recorded with `why`).
  [[nodiscard]] core::Result<store::Assignment> Refuse(std::string_view approval,
                                                       std::string_view who,
                                                       std::string_view why = "");
  // resolved -> reviewed.
  [[nodiscard]] core::Result<store::IncidentLifecycle> MarkReviewed(std::string_view incident,
                                                                    std::string_view who);

  // A signed one-time link performing `action` on the assignment (acknowledge and done for tasks,
  // acknowledge for notifications, approve and refuse for approvals), valid for link_ttl:
  // "<link_base>/ack/<token>". `person` (a team id, may be empty) is recorded as who acted.
  [[nodiscard]] core::Result<std::string> IssueLink(std::string_view assignment, LinkAction action,
                                                    std::string_view person = "");
  // Performs a link's action once; `token` may be the whole link. Refused with a message a person
  // understands: kUnauthenticated for a forged, damaged or altered token (not one this
  // installation issued), kFailedPrecondition for a used one ("already used at ..."),
  // kDeadlineExceeded for an expired one; the action's own errors as above (the token then stays
  // unused).
  [[nodiscard]] core::Result<Redeemed> Redeem(std::string_view token);

  // Every entry the engine adds to an incident's timeline, once stored: a step, a message, an
  // assignment, an acknowledgement, a decision, an escalation, a lifecycle move. The sink runs
  // under the engine's lock: it must only queue. Unsubscribes when the handle is destroyed.
  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const store::IncidentEvent&)> sink);

  // The incident's lifecycle, runs, steps and assignments. kNotFound when no response ran.
  [[nodiscard]] core::Result<IncidentResponse> Describe(std::string_view incident);

  // Where links point from now on (EngineOptions::link_base): "http://" or "https://" and a host.
  // kInvalidArgument otherwise.
  [[nodiscard]] core::Status SetLinkBase(std::string base);

  const Plan& plan() const { return plan_; }

 private:
  struct Ctx;
  struct HandlerGate;
  struct Work {
    bool resume = false;  // Start's look at what a previous run left
    core::IncidentNotice notice;
    TimePoint not_before{};
  };

  // Queues work for the engine thread (dropped once stopping).
  void Enqueue(Work w);
  void Run();
  core::Status HandleWork(const Work& w);

  // Whether this instance runs the response of an incident on these platforms (shared: one of
  // them is owned; else always).
  bool Mine(const std::vector<std::string>& platforms);
  // The longest monitoring window and the shortest probe interval of these runs' responses.
  std::pair<Duration, Duration> WindowOf(const std::vector<store::ResponseRun>& runs) const;

  // Everything below runs with mu_ held.
  core::Status Resume();
  core::Status HandleOpen(const store::Incident& inc);
  core::Status HandleClosed(const store::Incident& inc);
  core::Status StartResponse(const store::Incident& inc, const Response& r);
  Ctx MakeCtx(const store::Incident& inc, const Response& r) const;
  core::Result<Ctx> LoadCtx(std::string_view incident, std::string_view response);

  // Steps.
  core::Status Advance(Ctx& ctx);
  core::Status EndRunIfDone(Ctx& ctx);
  core::Result<store::StepState> Drive(Ctx& ctx, const Step& step);
  core::Result<store::StepState> Execute(Ctx& ctx, const Step& step, store::StepRecord rec);
  core::Result<std::string> RunNotify(Ctx& ctx, const Step& step, const NotifyStep& n);
  core::Result<std::string> RunPost(Ctx& ctx, const Step& step, const PostStep& p);
  core::Result<std::string> RunTask(Ctx& ctx, const Step& step, const TaskStep& t);
  core::Result<std::string> RunApprove(Ctx& ctx, const Step& step, const ApproveStep& a);
  core::Result<store::StepState> OnStepError(Ctx& ctx, const Step& step, store::StepRecord rec,
                                             const std::string& error);
  core::Status FinishStep(Ctx& ctx, const Step& step, store::StepRecord rec, store::StepState to,
                          std::string note, std::string error = "");
  core::Status StopRun(Ctx& ctx, const std::string& reason);
  core::Status SkipRemaining(Ctx& ctx, const std::vector<Step>& steps, const std::string& why);
  core::Result<store::StepRecord> LoadStep(const Ctx& ctx, const std::string& step_id);

  // Timers.
  core::Status Schedule(std::string_view kind, std::string key, TimePoint due, std::string payload,
                        const std::string& owner);
  core::Status ScheduleEscalation(const store::Assignment& a, int level, TimePoint first);
  core::Status OnTrigger(const store::Timer& t);
  core::Status OnWait(const store::Timer& t);
  core::Status OnRetry(const store::Timer& t);
  core::Status OnApprovalTimeout(const store::Timer& t);
  core::Status OnEscalate(const store::Timer& t);
  core::Status OnMonitor(const store::Timer& t);

  // People's actions and links.
  core::Result<store::Assignment> AcknowledgeLocked(std::string_view id, std::string_view who);
  core::Result<store::Assignment> DoneLocked(std::string_view id, std::string_view who);
  core::Result<store::Assignment> Decide(std::string_view id, store::AssignmentState to,
                                         std::string_view who, std::string_view why);
  core::Status AfterDecision(const store::Assignment& a, std::string_view who);
  core::Result<std::string> IssueLinkLocked(std::string_view assignment, LinkAction action,
                                            std::string_view person);
  std::string LinksFooter(const store::Assignment& a, const Person* to);

  // Lifecycle.
  void MoveLifecycle(const std::string& incident, std::vector<store::Lifecycle> from,
                     store::Lifecycle to, std::string_view by, std::string note,
                     std::string relapse = "");
  core::Status AssignChecklist(const store::Incident& inc,
                               const std::vector<store::ResponseRun>& runs);
  core::Status StartMonitoring(const std::string& incident, const store::IncidentLifecycle& lc);
  core::Status CheckRelapse(const store::Incident& inc);
  core::Status EndRelapses(const store::Incident& closed);
  core::Result<std::string> OpenOverlapping(const store::IncidentLifecycle& lc);

  // Messages and the timeline.
  core::Result<SentMessage> Tell(Ctx& ctx, const std::string& step_id, const Person& person,
                                 OutgoingMessage m, const std::string& key);
  void Timeline(const std::string& incident, std::string_view type, std::string message,
                std::string data_json = "{}");
  std::string PlatformNames(const std::vector<std::string>& ids) const;
  TimePoint Now() const;
  void Log(std::string_view line) const;

  const Plan& plan_;
  store::Store& store_;
  timers::Scheduler& scheduler_;
  Messenger& messenger_;
  EngineOptions options_;
  core::Clock& clock_;
  LinkSigner signer_;
  // Shared with the handlers registered on the scheduler (which outlives nothing it was given):
  // cleared when the engine is destroyed, so a late timer finds no engine instead of a dangling
  // one.
  std::shared_ptr<HandlerGate> gate_;
  core::Listeners<store::IncidentEvent> timeline_listeners_;

  std::mutex mu_;         // guards the durable state's read-decide-write sequences (one at a time)
  bool running_ = false;  // under mu_: Start ran and Stop did not

  std::mutex queue_mu_;  // guards queue_, busy_, stopping_, started_
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Work> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;

  std::mutex owned_mu_;                       // guards owned_
  std::set<std::string, std::less<>> owned_;  // shared: the platforms this instance runs
};

}  // namespace lifeline::playbook
