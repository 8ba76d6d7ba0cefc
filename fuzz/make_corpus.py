#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<target>/ (committed; rerun only to
change them): small hand-made seeds plus a few slices of the demo company and
of ../shared/datasets. Keep the whole corpus to tens of KB.

Usage: fuzz/make_corpus.py [DATASETS_DIR]   (default ../shared/datasets)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATASETS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "..", "shared", "datasets")


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def head_lines(path, n, max_line=600):
    out = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if len(out) == n:
                break
            out.append(line if len(line) <= max_line else line[:max_line])
    return out


def xml_slice(path, rows, skip=0):
    """The XML header, `rows` whole rows after `skip`, the closing tag."""
    with open(path, encoding="utf-8-sig") as f:
        lines = f.read().split("\n")
    head, root = lines[0], lines[1]
    body = [l for l in lines[2:] if l.strip().startswith("<row")]
    body = [l for l in body[skip:skip + rows] if len(l) < 1500]
    closing = "</" + root.strip()[1:]
    return "\n".join([head, root] + body + [closing]) + "\n"


def jsonl():
    demo = os.path.join(ROOT, "data", "demo", "company.jsonl")
    lines = open(demo, encoding="utf-8").read().split("\n")
    people = [l for l in lines if '"type":"person"' in l]
    posts = [l for l in lines if '"type":"post"' in l]
    write("jsonl", "demo_people", "\n".join(people[:3]) + "\n")
    write("jsonl", "demo_posts", "\n".join(posts[:4]) + "\n")
    sv = [l for l in posts if '"language":"sv"' in l][:2]
    write("jsonl", "demo_posts_sv", "\n".join(sv) + "\n")
    write("jsonl", "person_full",
          '{"type":"person","id":"p1","display_name":"Ann","title":"Dev",'
          '"department":"IT","site":"Lund","country":"SE","manager_id":"p0",'
          '"languages":["sv","en"],"active":false,"opted_out":true,'
          '"team":"core","leaving":true,"joined":"2021-03-04"}\n')
    write("jsonl", "post_full",
          '{"type":"post","id":"a1","author_id":"p1","thread_id":"q1",'
          '"parent_id":"q1","kind":"answer","title":"","body":"Use kubectl",'
          '"tags":["K8s"],"language":"en","created":"2024-03-01T10:00:00+02:00",'
          '"visibility":"group:hr","accepted":true,"liked_by":["p2"],'
          '"mentioned":["p3"],"embedding":[0.5,-1e-3,3]}\n')
    write("jsonl", "interactions",
          '{"type":"interaction","id":"m1","from":"u0001","to":["u0002",'
          '"u0003"],"time":"2024-03-01T10:00:00Z","kind":"email"}\n'
          '{"type":"interaction","id":7,"from":138,"to":59,"time":910930020}\n')
    write("jsonl", "bad_lines",
          '{"type":"post","id":"x","kind":"poem"}\n[1,2]\n{"type":3}\n'
          '{"type":"person","id":"a","manager_id":"a"}\n'
          '{"type":"post","id":"q","author_id":"a","kind":"question",'
          '"title":"t","created":"2024-02-30"}\n')


def stackexchange():
    beer = os.path.join(DATASETS, "beer.stackexchange.com")
    sep = "\n#--\n"
    files = ["Posts", "Users", "Comments", "Votes", "PostLinks"]
    dump = sep.join(xml_slice(os.path.join(beer, f + ".xml"), 6)
                    for f in files)
    write("stackexchange", "beer_head", dump)
    # Later rows: answers, accepted answers, favourites.
    dump = sep.join(xml_slice(os.path.join(beer, f + ".xml"), 6, skip=40)
                    for f in files)
    write("stackexchange", "beer_later", dump)
    apple = os.path.join(DATASETS, "apple.meta.stackexchange.com")
    write("stackexchange", "apple_posts_only",
          xml_slice(os.path.join(apple, "Posts.xml"), 5))
    write("stackexchange", "hand_made",
          '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
          '  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" '
          'CreationDate="2014-01-21T20:26:05.383" Body="&lt;p&gt;Q &amp;amp; '
          'A&lt;br/&gt;x&lt;/p&gt;" OwnerUserId="7" Title="Hops?" '
          'Tags="|hops|ipa|" />\n'
          '  <row Id="2" PostTypeId="2" ParentId="1" '
          'CreationDate="2014-01-22T10:00:00.000" Body="&lt;code&gt;a&lt;/code&gt;" '
          'OwnerUserId="8" />\n'
          '  <row Id="3" PostTypeId="1" CreationDate="2014-01-23" '
          'Body="dup" OwnerUserId="9" Title="Dup" Tags="&lt;ale&gt;" />\n'
          '</posts>' + sep +
          '<users><row Id="7" CreationDate="2014-01-21T17:45:53.587" '
          'DisplayName="Ann" Location="Lund" /><row Id="-1" '
          'CreationDate="2014-01-21"/></users>' + sep +
          '<comments><row Id="1" PostId="1" Text="Nice" '
          'CreationDate="2014-01-21T20:34:28.740" UserId="8" /></comments>' +
          sep +
          '<votes><row Id="1" PostId="1" VoteTypeId="5" UserId="8" '
          'CreationDate="2014-01-21T00:00:00.000" /><row Id="2" PostId="2" '
          'VoteTypeId="1" CreationDate="2015-01-01T00:00:00.000" /></votes>' +
          sep +
          '<postlinks><row Id="1" CreationDate="2014-01-24" PostId="3" '
          'RelatedPostId="1" LinkTypeId="3" /></postlinks>\n')


def interactions():
    write("interactions", "hand_made",
          "m1\t1709287200\temail\tu0001\tu0002\tu0003\n"
          "\t1709287300\tchat\tu0002\tu0001\n"
          "m1\t1709287400\temail\tu0001\tu0004\n")
    write("interactions", "torn_last_line",
          "m1\t1709287200\temail\ta\tb\nm2\t17092")
    write("interactions", "bad_line", "m1\tnot-a-time\temail\ta\tb\n")
    # A slice of the Enron network as `whoknows import enron` stores it.
    import json
    msgs = json.load(open(os.path.join(DATASETS, "enron", "messages.json")))
    rows = []
    for m in msgs[:40]:
        to = m["receiver"] if isinstance(m["receiver"], list) else [
            m["receiver"]]
        rows.append("\t".join([str(m["id"]), str(m["time"]), "email",
                               str(m["sender"])] + [str(t) for t in to]))
    write("interactions", "enron_slice", "\n".join(rows) + "\n")


def encode(message, text):
    """A request in protobuf's binary form, from its text form (protoc)."""
    import subprocess
    proto_dir = os.path.join(ROOT, "proto")
    files = [os.path.join("whoknows", "v1", f) for f in
             ("expertise.proto", "ingest.proto", "networks.proto",
              "admin.proto")]
    return subprocess.run(
        ["protoc", "--encode=whoknows.v1." + message, "-I", proto_dir] + files,
        input=text.encode(), capture_output=True, check=True).stdout


POST = ('id: "a1" author_id: "u1" thread_id: "q1" parent_id: "q1" '
        'kind: POST_KIND_ANSWER title: "t" body: "Use kubectl rollout" '
        'tags: "K8s" language: "en" created { seconds: 1709287200 } '
        'visibility: "group:hr" accepted: true liked_by: "u2" '
        'mentioned: "u3" embedding: [0.5, -1]')
QUESTION = ('id: "q1" author_id: "u2" kind: POST_KIND_QUESTION '
            'title: "Hur exporterar jag fakturor?" body: "SAP till Excel" '
            'created { seconds: 1709280000 }')
PERSON = ('id: "u1" display_name: "Ann" title: "Dev" department: "IT" '
          'site: "Lund" country: "SE" manager_id: "u0" languages: "sv" '
          'active: true team: "core" joined { seconds: 1600000000 }')


def validators():
    # The first byte picks the request (request_validators_fuzzer.cc).
    seeds = {
        "find_experts": (0, "FindExpertsRequest",
                         'query: "Why does the deploy fail?" asker_id: "u1" '
                         'limit: 5 tags: "kubernetes" language: "en" '
                         'department: "IT" query_embedding: [0.1, 0.2]'),
        "find_experts_bad_limit": (0, "FindExpertsRequest",
                                   'query: "x" limit: 1000'),
        "upsert_posts": (1, "UpsertPostsRequest",
                         "posts { %s } posts { %s }" % (QUESTION, POST)),
        "upsert_people": (2, "UpsertPeopleRequest",
                          "people { %s } people { id: \"u0\" }" % PERSON),
        "ingest_stream": (3, "IngestStreamRequest",
                          "people { %s } posts { %s }" % (PERSON, QUESTION)),
        "analyze_network": (4, "AnalyzeNetworkRequest",
                            "window_end { seconds: 1709287200 } "
                            "window_days: 90 compare_previous: true "
                            "min_group_size: 6 person_level: true "
                            "top_brokers: 20 include_manager_ties: true"),
        "suggest_for_post": (5, "SuggestForPostRequest",
                             'title: "Varför misslyckas deployen?" body: '
                             '"ImagePullBackOff i klustret" tags: "kubernetes" '
                             'author_id: "u1" max_people: 5 max_threads: 3'),
        "record_outcome": (6, "RecordOutcomeRequest",
                           'outcome { question_post_id: "q1" title: "VPN" '
                           'tags: "vpn" asker_id: "u1" helper_id: "u2" '
                           'kind: OUTCOME_KIND_ACCEPTED time { seconds: '
                           '1709287200 nanos: 5 } }'),
        "get_status": (7, "GetStatusRequest", "max_errors: 4"),
        "get_status_bad": (7, "GetStatusRequest", "max_errors: -1"),
        # Every string at the longest the proto allows, or near it.
        "upsert_posts_long": (1, "UpsertPostsRequest", "posts { %s }" % (
            'id: "%s" author_id: "%s" thread_id: "%s" kind: POST_KIND_ARTICLE '
            'title: "%s" tags: "%s" language: "nb-NO-xx" created { seconds: 1 '
            'nanos: 999999999 } visibility: "group:%s" liked_by: "%s"' % (
                "i" * 128, "a" * 128, "t" * 128, "T" * 1024, "k" * 64,
                "g" * 200, "l" * 128))),
    }
    for name, (kind, message, text) in seeds.items():
        write("request_validators", name, bytes([kind]) + encode(message, text))


def query_builder():
    # "language\ntags\nquery" (query_builder_fuzzer.cc).
    seeds = {
        "sv_invoice": "sv\nsap,excel\nHur exporterar jag fakturor från SAP "
                      "till Excel?",
        "en_k8s": "en\nkubernetes\nWhy does the Kubernetes deploy fail with "
                  "ImagePullBackOff?",
        "no_filters": "\n\nproduction cluster kubectl forbidden namespace",
        "stopwords_only": "\n\nthe and of och att",
        "mixed_case_tags": "\nK8s,Deploy,\"quoted\"\nmigrering av databasen "
                           "till PostgreSQL 15",
        "plain_query": "vpn certifikat utgånget",
        "punctuation": "en\n\nC++ && std::vector<int> -- \"exact phrase\" "
                       "NEAR/3 AND OR NOT title:foo *wild?",
    }
    for name, text in seeds.items():
        write("query_builder", name, text)


if __name__ == "__main__":
    query_builder()
    jsonl()
    stackexchange()
    interactions()
    validators()
