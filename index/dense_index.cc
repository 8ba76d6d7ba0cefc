#include "index/dense_index.h"

#include <algorithm>
#include <unordered_map>

#include "index/catalog.h"

namespace whoknows::index {
namespace {

template <typename Map>
uint32_t Lookup(const Map& numbers, std::string_view id) {
  auto it = numbers.find(id);
  return it == numbers.end() ? DenseIndex::kNone : it->second;
}

}  // namespace

uint32_t DenseIndex::PostNumber(std::string_view post_id) const {
  return Lookup(post_numbers_, post_id);
}

uint32_t DenseIndex::PersonNumber(std::string_view person_id) const {
  return Lookup(person_numbers_, person_id);
}

std::span<const uint32_t> DenseIndex::thread_of(uint32_t post) const {
  const uint32_t t = thread_[post];
  return {thread_posts_.data() + thread_start_[t],
          thread_posts_.data() + thread_start_[t + 1]};
}

std::span<const uint32_t> DenseIndex::answers_of(uint32_t post) const {
  const uint32_t t = thread_[post];
  return {thread_answers_.data() + answer_start_[t],
          thread_answers_.data() + answer_start_[t + 1]};
}

std::shared_ptr<const DenseIndex> DenseIndex::Build(const Snapshot& s) {
  auto d = std::make_shared<DenseIndex>();
  // Posts, in id order.
  for (const auto& [id, m] : s.posts) d->posts_.push_back(m);
  std::sort(d->posts_.begin(), d->posts_.end(),
            [](const auto& a, const auto& b) { return a->id < b->id; });
  d->post_numbers_.reserve(d->posts_.size());
  for (uint32_t i = 0; i < d->posts_.size(); ++i)
    d->post_numbers_.emplace(d->posts_[i]->id, i);
  // People: the directory's and the authors', in id order.
  std::vector<const std::string*> ids;
  for (const auto& [id, p] : s.people) ids.push_back(&p->id());
  for (const auto& m : d->posts_) ids.push_back(&m->author_id);
  std::sort(ids.begin(), ids.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  ids.erase(std::unique(ids.begin(), ids.end(),
                        [](const std::string* a, const std::string* b) {
                          return *a == *b;
                        }),
            ids.end());
  d->person_ids_ = std::move(ids);
  d->person_numbers_.reserve(d->person_ids_.size());
  for (uint32_t i = 0; i < d->person_ids_.size(); ++i) {
    const std::string& id = *d->person_ids_[i];
    d->person_numbers_.emplace(id, i);
    auto person = s.people.find(id);
    d->people_.push_back(person == s.people.end() ? nullptr : person->second);
    auto activity = s.activity.find(id);
    d->activity_.push_back(
        activity == s.activity.end()
            ? nullptr
            : std::make_shared<const Activity>(activity->second));
  }
  d->author_.reserve(d->posts_.size());
  for (const auto& m : d->posts_)
    d->author_.push_back(d->person_numbers_.at(m->author_id));
  // Threads, each in Snapshot::threads' order.
  std::unordered_map<std::string_view, uint32_t> thread_numbers;
  d->thread_start_.push_back(0);
  d->answer_start_.push_back(0);
  for (const auto& [thread_id, members] : s.threads) {
    thread_numbers.emplace(thread_id, d->thread_start_.size() - 1);
    for (const auto& id : members) {
      const uint32_t n = d->post_numbers_.at(id);
      d->thread_posts_.push_back(n);
      if (d->posts_[n]->kind == v1::POST_KIND_ANSWER)
        d->thread_answers_.push_back(n);
    }
    d->thread_start_.push_back(static_cast<uint32_t>(d->thread_posts_.size()));
    d->answer_start_.push_back(
        static_cast<uint32_t>(d->thread_answers_.size()));
  }
  d->thread_.reserve(d->posts_.size());
  for (const auto& m : d->posts_)
    d->thread_.push_back(thread_numbers.at(m->thread_id));
  return d;
}

}  // namespace whoknows::index
