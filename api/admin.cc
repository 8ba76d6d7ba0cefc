#include "api/admin.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/executor.h"
#include "common/status_macros.h"
#include "index/catalog.h"
#include "ranking/expertise_model.h"
#include "ranking/exposure.h"

namespace whoknows::api {
namespace {

void SetTime(int64_t unix_ms, google::protobuf::Timestamp* t) {
  t->set_seconds(unix_ms / 1000);
  t->set_nanos(static_cast<int32_t>(unix_ms % 1000) * 1000000);
}

v1::ServerStatus ServerFigures(const StatusSources& s, int64_t now_ms) {
  v1::ServerStatus out;
  out.set_version(s.version);
  SetTime(s.started_ms, out.mutable_started());
  SetTime(now_ms, out.mutable_now());
  out.set_uptime_seconds(std::max<int64_t>(0, now_ms - s.started_ms) / 1000);
  out.set_serving(s.serving && s.serving());
  return out;
}

// Counts come from the published snapshot's maps and its per-group lists
// (a few groups), never from a pass over the posts.
v1::DataStatus DataFigures(const index::Catalog& catalog, int64_t now_ms) {
  const index::CatalogStats st = catalog.stats();
  v1::DataStatus out;
  out.set_generation(st.generation);
  out.set_posts_revision(st.revisions[static_cast<int>(index::Store::kPosts)]);
  out.set_private_posts_revision(
      st.revisions[static_cast<int>(index::Store::kPrivatePosts)]);
  out.set_people_revision(
      st.revisions[static_cast<int>(index::Store::kPeople)]);
  if (st.last_publish_ms)
    SetTime(st.last_publish_ms, out.mutable_last_publish());
  out.set_last_publish_duration_ms(st.last_publish_duration_ms);
  out.set_last_publish_writer_wait_ms(st.last_publish.writer_wait_us / 1000);
  if (st.last_write_ms) SetTime(st.last_write_ms, out.mutable_last_write());
  if (st.oldest_unpublished_write_ms)
    out.set_publish_lag_ms(
        std::max<int64_t>(0, now_ms - st.oldest_unpublished_write_ms));
  const auto snap = catalog.snapshot();
  int64_t private_posts = 0;
  for (const auto& [group, posts] : snap->group_posts)
    private_posts += static_cast<int64_t>(posts.size());
  out.set_private_posts(private_posts);
  out.set_public_posts(static_cast<int64_t>(snap->posts.size()) -
                       private_posts);
  out.set_private_groups(static_cast<int64_t>(snap->group_posts.size()));
  out.set_people(static_cast<int64_t>(snap->people.size()));
  out.set_opted_out(static_cast<int64_t>(snap->opted_out.size()));
  return out;
}

v1::ModelStatus ModelFigures(const ranking::ModelStore& models,
                             const std::string& weights) {
  v1::ModelStatus out;
  if (auto model = models.current()) {
    out.set_loaded(true);
    out.set_posts(model->embedded_posts());
    out.mutable_newest_post()->set_seconds(model->embedded_newest());
    out.set_id(absl::StrCat("p", model->embedded_posts(), "-t",
                            model->embedded_newest(), "/",
                            weights.empty() ? "defaults" : weights));
  }
  out.set_current(models.IsCurrent());
  const ranking::ModelStoreStats st = models.stats();
  out.set_building(st.building);
  if (st.last_build_ms) SetTime(st.last_build_ms, out.mutable_last_build());
  out.set_last_build_duration_ms(st.last_build_duration_ms);
  out.set_builds(st.builds);
  out.set_failed_builds(st.failed_builds);
  return out;
}

v1::QueueStatus QueueFigures(const StatusSources& s) {
  v1::QueueStatus out;
  for (const Executor* e : s.executors) {
    auto* x = out.add_executors();
    x->set_name(e->name());
    x->set_running(e->running());
    x->set_queued(e->queued());
    x->set_threads(e->options().threads);
    x->set_max_queued(e->options().max_queued);
  }
  for (int i = 0; i < kServiceCount; ++i) {
    auto* c = out.add_services();
    c->set_service(ServiceName(static_cast<Service>(i)));
    c->set_in_flight(s.calls ? s.calls->in_flight[i].load() : 0);
  }
  const index::CatalogStats st = s.catalog->stats();
  out.set_writes_waiting(st.writes_waiting);
  out.set_bulk_pending_records(st.bulk_pending_records);
  out.set_reader_pool(st.reader_pool);
  if (s.exposure) {
    out.set_exposure_people(static_cast<int64_t>(s.exposure->size()));
    out.set_exposure_max_people(
        static_cast<int64_t>(s.exposure->options().max_people));
  }
  return out;
}

}  // namespace

void ErrorRing::Add(std::string source, absl::Status error, int64_t unix_ms) {
  absl::MutexLock lock(&mu_);
  ++total_;
  if (capacity_ == 0) return;
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back({.unix_ms = unix_ms,
                      .source = std::move(source),
                      .error = std::move(error)});
}

std::vector<ErrorRing::Entry> ErrorRing::Recent(size_t max) const {
  absl::MutexLock lock(&mu_);
  std::vector<Entry> out(entries_.rbegin(), entries_.rend());
  if (max > 0 && out.size() > max) out.resize(max);
  return out;
}

int64_t ErrorRing::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

const char* ServiceName(Service service) {
  switch (service) {
    case Service::kExpertise:
      return "whoknows.v1.Expertise";
    case Service::kIngest:
      return "whoknows.v1.Ingest";
    case Service::kNetworks:
      return "whoknows.v1.Networks";
    case Service::kAdmin:
      return "whoknows.v1.Admin";
  }
  return "?";
}

absl::Status ValidateGetStatus(const v1::GetStatusRequest& request) {
  if (request.max_errors() < 0 || request.max_errors() > kKeptBackgroundErrors)
    return absl::InvalidArgumentError(
        absl::StrCat("max_errors: must be 0-", kKeptBackgroundErrors, ", got ",
                     request.max_errors()));
  return absl::OkStatus();
}

absl::StatusOr<v1::GetStatusResponse> GetStatus(
    const StatusSources& sources, const v1::GetStatusRequest& request,
    int64_t now_ms) {
  WK_RETURN_IF_ERROR(ValidateGetStatus(request));
  v1::GetStatusResponse out;
  *out.mutable_server() = ServerFigures(sources, now_ms);
  *out.mutable_data() = DataFigures(*sources.catalog, now_ms);
  if (sources.models)
    *out.mutable_model() = ModelFigures(*sources.models, sources.weights);
  *out.mutable_queues() = QueueFigures(sources);
  if (sources.errors) {
    for (const auto& e :
         sources.errors->Recent(static_cast<size_t>(request.max_errors()))) {
      auto* x = out.add_errors();
      SetTime(e.unix_ms, x->mutable_time());
      x->set_source(e.source);
      x->set_code(static_cast<int32_t>(e.error.code()));
      x->set_message(std::string(e.error.message()));
    }
    out.set_errors_total(sources.errors->total());
  }
  return out;
}

}  // namespace whoknows::api
