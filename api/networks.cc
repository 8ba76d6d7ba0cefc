#include "api/networks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/catalog.h"
#include "index/interactions.h"
#include "index/validation.h"

namespace whoknows::api {
namespace {

void SetTime(int64_t unix_seconds, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_seconds);
}

void ToProto(const networks::PersonFigure& p, v1::PersonFigure* out) {
  out->set_id(p.id);
  out->set_display_name(p.display_name);
  out->set_title(p.title);
  out->set_department(p.department);
  out->set_value(p.value);
  out->set_normalized(p.normalized);
}

void ToProto(const networks::GroupTie& t, v1::GroupTie* out) {
  out->set_a(t.a);
  out->set_b(t.b);
  out->set_suppressed(t.suppressed);
  out->set_ties(t.ties);
  out->set_weight(t.weight);
}

void ToProto(const networks::WindowFigures& f, v1::WindowFigures* out) {
  if (f.window.start > 0) SetTime(f.window.start, out->mutable_start());
  SetTime(f.window.end, out->mutable_end());
  out->set_people(f.people);
  out->set_connected_people(f.connected_people);
  out->set_ties(f.ties);
  out->set_tie_weight(f.tie_weight);
  out->set_interactions(f.interactions);
  out->set_communities_count(f.communities_count);
  out->set_modularity(f.modularity);
  if (f.nmi_department) out->set_nmi_department(*f.nmi_department);
  if (f.nmi_site) out->set_nmi_site(*f.nmi_site);
  if (f.nmi_team) out->set_nmi_team(*f.nmi_team);
  for (const auto& c : f.communities) {
    auto* cf = out->add_communities();
    cf->set_id(c.id);
    cf->set_size(c.size);
    cf->set_suppressed(c.suppressed);
    for (int x : c.by_department) cf->add_by_department(x);
    for (int x : c.by_site) cf->add_by_site(x);
  }
  for (const auto& d : f.departments) {
    auto* df = out->add_departments();
    df->set_name(d.name);
    df->set_people(d.people);
    df->set_suppressed(d.suppressed);
    df->set_internal_ties(d.internal_ties);
    df->set_external_ties(d.external_ties);
    df->set_ei_index(d.ei_index);
    df->set_isolated_people(d.isolated_people);
    df->set_unconnected_people(d.unconnected_people);
  }
  for (const auto& t : f.department_ties)
    ToProto(t, out->add_department_ties());
  for (const auto& t : f.country_ties) ToProto(t, out->add_country_ties());
  out->set_betweenness_exact(f.betweenness_exact);
  out->set_betweenness_samples(f.betweenness_samples);
  out->set_betweenness_error_bound(f.betweenness_error_bound);
  out->set_new_hires(f.new_hires);
  out->set_new_hires_unconnected(f.new_hires_unconnected);
  for (const auto& p : f.brokers) ToProto(p, out->add_brokers());
  for (const auto& p : f.isolated) ToProto(p, out->add_isolated());
  for (const auto& p : f.new_hires_not_connected)
    ToProto(p, out->add_new_hires_not_connected());
}

// 0 (the service's threshold) up to the limit.
bool MinGroupSizeInRange(const v1::AnalyzeNetworkRequest& request,
                         const networks::NetworkLimits& limits) {
  return request.min_group_size() >= 0 &&
         request.min_group_size() <= limits.max_min_group_size;
}

// What NetworkOptions::Validate() cannot see once OptionsFor has read 0 as
// "the default": the request's own range of min_group_size (0 asks for the
// service's) and a window_end set at or before 1970.
absl::Status CheckEncoding(const v1::AnalyzeNetworkRequest& request,
                           const networks::NetworkLimits& limits) {
  if (!MinGroupSizeInRange(request, limits))
    return absl::InvalidArgumentError(
        absl::StrCat("min_group_size: must be 0-", limits.max_min_group_size));
  if (request.has_window_end() && request.window_end().seconds() <= 0)
    return absl::InvalidArgumentError("window_end: must be after 1970");
  if (request.has_window_end()) {
    // Any window within the Timestamp range may be asked for, also ahead.
    WK_RETURN_IF_ERROR(index::CheckTimeRange(request.window_end().seconds(),
                                             request.window_end().nanos(), "",
                                             "window_end"));
  }
  return absl::OkStatus();
}

// The request as NetworkOptions with the service's limits. 0 in
// min_group_size and top_brokers and an unset window_end stand for the
// defaults; a min_group_size or window_end that only the request can get
// wrong (see CheckEncoding) is left at the default here.
networks::NetworkOptions OptionsFor(const v1::AnalyzeNetworkRequest& request,
                                    const Caller& caller,
                                    const NetworksServiceOptions& options) {
  networks::NetworkOptions o;
  o.limits = options.limits;
  // Requests may raise the service's threshold, never lower it.
  if (MinGroupSizeInRange(request, options.limits))
    o.min_group_size =
        std::max(request.min_group_size(), options.min_group_size);
  else
    o.min_group_size = options.min_group_size;
  if (request.has_window_end() && request.window_end().seconds() > 0)
    o.window_end = request.window_end().seconds();
  o.window_days = request.window_days();
  o.compare_previous = request.compare_previous();
  o.person_level =
      request.person_level() && HasRight(caller, Right::kPersonLevelNetworks);
  if (request.top_brokers() != 0) o.top_brokers = request.top_brokers();
  o.include_manager_ties = request.include_manager_ties();
  o.threads = options.threads;
  return o;
}

}  // namespace

v1::AnalyzeNetworkResponse ToProto(const networks::NetworkAnalysis& a) {
  v1::AnalyzeNetworkResponse r;
  r.set_min_group_size(a.min_group_size);
  r.set_person_level(a.person_level);
  for (const auto& d : a.departments) r.add_departments(d);
  for (const auto& s : a.sites) r.add_sites(s);
  ToProto(a.current, r.mutable_current());
  if (a.previous) ToProto(*a.previous, r.mutable_previous());
  for (const auto& t : a.topics) {
    auto* tr = r.add_topics();
    tr->set_topic(t.topic);
    tr->set_holders(t.holders);
    tr->set_leaving_holders(t.leaving_holders);
    tr->set_bus_factor_risk(t.bus_factor_risk);
    tr->set_leaving_risk(t.leaving_risk);
    for (const auto& id : t.holder_ids) tr->add_holder_ids(id);
  }
  for (const auto& s : a.suppressed) r.add_suppressed(s);
  r.set_opted_out_excluded(a.opted_out_excluded);
  return r;
}

absl::Status ValidateAnalyzeNetwork(const v1::AnalyzeNetworkRequest& request,
                                    const NetworksServiceOptions& options) {
  // Validated before the interaction log is read: the options
  // (window_days, compare_previous, top_brokers), then what only the
  // request can get wrong (min_group_size, window_end). The caller's rights
  // change no limit, so any caller will do here.
  WK_RETURN_IF_ERROR(OptionsFor(request, Caller{}, options).Validate());
  return CheckEncoding(request, options.limits);
}

absl::StatusOr<v1::AnalyzeNetworkResponse> AnalyzeNetwork(
    const index::Catalog& catalog, const v1::AnalyzeNetworkRequest& request,
    const Caller& caller, const NetworksServiceOptions& options,
    std::function<bool()> cancelled) {
  WK_RETURN_IF_ERROR(ValidateAnalyzeNetwork(request, options));
  networks::NetworkOptions o = OptionsFor(request, caller, options);
  o.graph =
      catalog.options().graph;  // what the snapshot's graph was built with
  o.cancelled = std::move(cancelled);
  auto interactions = index::InteractionLog(catalog.options().data_dir).Load();
  if (!interactions.ok()) return interactions.status();
  auto analysis =
      networks::AnalyzeNetwork(*catalog.snapshot(), *interactions, o);
  if (!analysis.ok()) return analysis.status();
  return ToProto(*analysis);
}

}  // namespace whoknows::api
