// Xapian's own CPU time a post for the ingest's writes into a large posts/
// database, in the shapes a small "fresh" database beside posts/ would
// take (docs/measurements.md, "A fresh database beside posts/"). Each round
// adds --n new documents (taken, terms, values and data, from --docs, e.g.
// another company's posts/) in four ways, one after the other, into the
// same --posts folder (a COPY: it is written to and grows by 4 x n a
// round):
//   A  main's path: into posts/, committed every --group documents;
//   B  into a fresh database (--fresh, a scratch folder) committed every
//      --group, then merged: each document read back from it and added to
//      posts/, one commit;
//   C  into the fresh database committed every --group and into posts/'s
//      unflushed transaction at once, posts/ committed once at the end;
//   D  into the fresh database committed every --group, then the same
//      documents (kept in memory) added to posts/ as one batch, one commit.
// Prints process CPU time a post for each, the fresh database's part (what
// the ingest thread would pay before acknowledging) apart, and each as a
// ratio of A in the same round; asserts nothing. Single-threaded: CPU time
// is what a shared machine's load moves least.
//
//   xapian_write_bench --posts COPY --docs DIR --fresh SCRATCH
//                      [--n 10000] [--group 1000] [--rounds 2]
#include <xapian.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_flags.h"

namespace {

double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// Standalone copies of `n` documents of `src` from docid `*next` on, as
// the ingest builds them (no positions), so that no figure reads `src`;
// `*next` is left past the last one taken.
std::vector<Xapian::Document> TakeDocuments(const Xapian::Database& src,
                                            Xapian::docid* next, int n) {
  const Xapian::docid first = *next;
  std::vector<Xapian::Document> docs;
  for (auto d = src.postlist_begin(""); d != src.postlist_end("");) {
    if (static_cast<int>(docs.size()) == n) break;
    if (*d < first) {
      d.skip_to(first);
      continue;
    }
    const Xapian::Document s = src.get_document(*d);
    Xapian::Document doc;
    for (auto t = s.termlist_begin(); t != s.termlist_end(); ++t)
      doc.add_term(*t, t.get_wdf());
    for (auto v = s.values_begin(); v != s.values_end(); ++v)
      doc.add_value(v.get_valueno(), *v);
    doc.set_data(s.get_data());
    docs.push_back(std::move(doc));
    *next = *d + 1;
    ++d;
  }
  return docs;
}

// Adds `docs` to `db`, committing every `group`.
void AddInGroups(Xapian::WritableDatabase& db,
                 const std::vector<Xapian::Document>& docs, int group) {
  for (size_t i = 0; i < docs.size(); ++i) {
    db.add_document(docs[i]);
    if ((i + 1) % group == 0) db.commit();
  }
  db.commit();
}

}  // namespace

int main(int argc, char** argv) {
  std::string posts_path, docs_path, fresh_path;
  int n = 10000, group = 1000, rounds = 2;
  if (!whoknows::bench::FlagsArePairs(
          argc, argv,
          "xapian_write_bench --posts COPY --docs DIR --fresh SCRATCH [--n "
          "10000] [--group 1000] [--rounds 2]"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--posts")
      posts_path = value;
    else if (flag == "--docs")
      docs_path = value;
    else if (flag == "--fresh")
      fresh_path = value;
    else if (flag == "--n")
      n = std::stoi(value);
    else if (flag == "--group")
      group = std::stoi(value);
    else if (flag == "--rounds")
      rounds = std::stoi(value);
    else {
      std::fprintf(stderr, "xapian_write_bench: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (posts_path.empty() || docs_path.empty() || fresh_path.empty() || n <= 0 ||
      group <= 0) {
    std::fprintf(stderr,
                 "usage: xapian_write_bench --posts COPY --docs DIR --fresh "
                 "SCRATCH [--n 10000] [--group 1000] [--rounds 2]\n");
    return 2;
  }
  try {
    const Xapian::Database src(docs_path);
    Xapian::WritableDatabase posts(posts_path, Xapian::DB_OPEN);
    Xapian::docid next = 1;
    // Fresh documents for each shape, so that none adds a copy of another's.
    auto take = [&] {
      std::vector<Xapian::Document> docs = TakeDocuments(src, &next, n);
      if (static_cast<int>(docs.size()) < n) {
        throw Xapian::RangeError(
            "--docs holds too few documents for --n x 4 x --rounds");
      }
      return docs;
    };
    auto fresh_db = [&] {
      std::filesystem::remove_all(fresh_path);
      return Xapian::WritableDatabase(fresh_path,
                                      Xapian::DB_CREATE_OR_OVERWRITE);
    };
    // `docs` into a new fresh database in groups: its CPU ms.
    auto into_fresh = [&](const std::vector<Xapian::Document>& docs) {
      const double t = CpuMs();
      Xapian::WritableDatabase fresh = fresh_db();
      AddInGroups(fresh, docs, group);
      fresh.close();
      return CpuMs() - t;
    };
    auto commit_posts = [&] {
      posts.commit_transaction();
      posts.commit();
    };
    const double per = 1e3 / n;  // ms over n posts -> us a post
    for (int round = 1; round <= rounds; ++round) {
      std::printf(
          "round %d: posts/ holds %u documents; %d new in groups of "
          "%d\n",
          round, posts.get_doccount(), n, group);
      auto docs = take();
      double t = CpuMs();
      AddInGroups(posts, docs, group);
      const double a = CpuMs() - t;
      std::printf("  A posts/ in groups            %7.1f us/post\n", a * per);

      docs = take();
      const double b_fresh = into_fresh(docs);
      t = CpuMs();
      {
        // In a transaction: Xapian's flush threshold would commit mid-way.
        const Xapian::Database fresh(fresh_path);
        posts.begin_transaction(/*flushed=*/false);
        for (auto d = fresh.postlist_begin(""); d != fresh.postlist_end("");
             ++d)
          posts.add_document(fresh.get_document(*d));
      }
      const double b_copy = CpuMs() - t;
      t = CpuMs();
      commit_posts();
      const double b_commit = CpuMs() - t;
      const double b = b_fresh + b_copy + b_commit;
      std::printf(
          "  B fresh, merged by copy       %7.1f us/post (%.2fx A): "
          "fresh %.1f, copy %.1f, commit %.1f\n",
          b * per, b / a, b_fresh * per, b_copy * per, b_commit * per);

      docs = take();
      t = CpuMs();
      double c_commit = 0;
      {
        Xapian::WritableDatabase fresh = fresh_db();
        posts.begin_transaction(/*flushed=*/false);
        for (size_t i = 0; i < docs.size(); ++i) {
          fresh.add_document(docs[i]);
          posts.add_document(docs[i]);
          if ((i + 1) % group == 0) fresh.commit();
        }
        fresh.commit();
        const double u = CpuMs();
        commit_posts();
        c_commit = CpuMs() - u;
      }
      const double c = CpuMs() - t;
      std::printf(
          "  C fresh and posts/ at once    %7.1f us/post (%.2fx A): "
          "posts/'s one commit %.1f\n",
          c * per, c / a, c_commit * per);

      docs = take();
      const double d_fresh = into_fresh(docs);
      t = CpuMs();
      posts.begin_transaction(/*flushed=*/false);
      for (const auto& doc : docs) posts.add_document(doc);
      commit_posts();
      const double d_batch = CpuMs() - t;
      const double d = d_fresh + d_batch;
      std::printf(
          "  D fresh, kept, one batch      %7.1f us/post (%.2fx A): "
          "fresh %.1f, batch %.1f\n",
          d * per, d / a, d_fresh * per, d_batch * per);
    }
    std::filesystem::remove_all(fresh_path);
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian_write_bench: %s\n",
                 e.get_description().c_str());
    return 1;
  }
  return 0;
}
