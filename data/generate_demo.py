#!/usr/bin/env python3
"""Deterministic demo-company generator for whoknows.

Builds "Nordvik Industrier AB", a fictional Nordic manufacturer with ~300
people in 10 departments and 6 sites, plus ~4000 intranet posts (questions,
answers, comments, articles) in Swedish and English, 2024-01-01..2025-12-31.

The org chart is below (ORG); the text corpus (topics, question titles,
contexts, answer facts, article titles) is in data/demo_topics.txt.  Every
topic has 2-3 *planted experts* who write most of the good /
accepted answers and most articles on it; everybody else asks questions or
gives weaker answers.  At least one planted expert per topic does not know
Swedish and always writes English, while Swedish questions on the topic exist
(cross-lingual ground truth).  One planted expert has left the company
(active=false) and one has opted out (opted_out=true): engines must not
recommend them.  A per-topic "frequent asker" asks many questions but is no
expert (a decoy).

Output is JSON Lines (see data/README.md): all persons first, then all posts in
creation-time order.  A small ground-truth file (topics -> experts) is written
next to it.  Standard library only; random.Random(42) and stable iteration
order make two runs byte-identical.

    python3 data/generate_demo.py [--out data/demo/company.jsonl]
                                  [--truth data/demo/ground_truth.json]
"""
import argparse
import datetime as dt
import json
import os
import random

SEED = 42
START, LAST_THREAD = dt.datetime(2024, 1, 1), dt.datetime(2025, 12, 15)
N_QUESTIONS, N_ARTICLES = 1050, 170
HERE = os.path.dirname(os.path.abspath(__file__))

# site -> (country, Swedish spelling, English spelling)
SITES = {"Stockholm": ("SE", "Stockholm", "Stockholm"), "Göteborg": ("SE", "Göteborg", "Gothenburg"),
         "Oslo": ("NO", "Oslo", "Oslo"), "Helsinki": ("FI", "Helsingfors", "Helsinki"),
         "Copenhagen": ("DK", "Köpenhamn", "Copenhagen"), "Kraków": ("PL", "Kraków", "Kraków")}
NAMES = {  # nationality -> (first names, surnames, spoken languages)
    "SE": ("Anna Erik Maria Lars Karin Johan Sara Anders Emma Mikael Elin Per Lina Magnus Sofia Henrik "
           "Johanna Fredrik Linnea Daniel Ida Jonas Malin Oskar Hanna Gustav Cecilia Niklas Emelie Björn "
           "Åsa Mattias Ebba Viktor Frida Tobias Jenny Pontus Helena Rasmus Ulrika Kristoffer Matilda "
           "Stefan Therese Joakim Louise Axel Klara Göran",
           "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
           "Pettersson Jonsson Lindqvist Lindberg Lindström Bergström Holm Sandberg Forsberg Sjöberg Wallin "
           "Engström Danielsson Håkansson Lundgren Berg Nyström Ekström Hedlund Björk Åberg Lindholm "
           "Sundberg Öberg Falk Strand Norberg Blom Holmgren Dahl", ["sv", "en"]),
    "NO": ("Ole Kari Lars Ingrid Sindre Marte Håkon Silje Eirik Ingvild Øystein Ragnhild Torbjørn Hilde "
           "Vegard Solveig Espen Tone Kjetil Åse",
           "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Haugen Bakke Solberg "
           "Berntsen Halvorsen Moen Lie Eide Rønning Aas Myhre", ["no", "en"]),
    "FI": ("Mikko Anne Juha Päivi Jussi Hanna Antti Tiina Ville Satu Timo Laura Janne Riikka Sami Elina "
           "Kari Heidi Petri Minna",
           "Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen "
           "Lehtinen Saarinen Salminen Heinonen Niemi Kinnunen Salonen Turunen Lindroos", ["fi", "en"]),
    "DK": ("Mads Mette Søren Lene Rasmus Camilla Jesper Pernille Kasper Signe Morten Line Anders Trine "
           "Frederik Louise Mikkel Sanne Christian Birgitte",
           "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Madsen "
           "Kristensen Thomsen Poulsen Møller Mortensen Østergaard Frederiksen Bach Holst", ["da", "en"]),
    "PL": ("Piotr Anna Krzysztof Katarzyna Tomasz Agnieszka Paweł Magdalena Marcin Joanna Michał Monika "
           "Łukasz Aleksandra Jakub Ewa Grzegorz Karolina Wojciech Natalia",
           "Nowak Wójcik Kowalczyk Woźniak Mazur Krawczyk Kaczmarek Zając Król Wieczorek Wróbel Pawlak "
           "Walczak Stępień Michalak Sikora Baran Duda Szewczyk Pietrzak", ["pl", "en"]),
}
# Org chart.  "Department | head title | head site", then indented teams:
#   "Team | lead title | member titles (English/Swedish used at Swedish sites; separated by ;) | site n, ..."
ORG = """
Engineering | CTO | Stockholm
  Platform | Platform team lead | Platform engineer; Senior platform engineer; DevOps engineer; Site reliability engineer | Stockholm 7, Kraków 3
  Applications | Engineering manager, Applications | Software developer; Senior software developer; Backend developer; Test engineer | Stockholm 14, Kraków 4
  Data & Analytics | Head of Data & Analytics | Data engineer; BI developer; Data analyst | Stockholm 5, Kraków 2
IT | CIO | Stockholm
  IT Operations | IT operations manager | System administrator; Network engineer; IT security specialist; Cloud administrator | Stockholm 6, Göteborg 3, Helsinki 2
  Service Desk | Service desk manager | IT support technician; Service desk analyst; IT coordinator | Kraków 4, Göteborg 3, Stockholm 3, Oslo 1
Manufacturing | Production director | Göteborg
  Welding | Production supervisor, Welding | Welder/Svetsare; Welding technician/Svetstekniker; Welding engineer/Svetsingenjör | Göteborg 15, Kraków 3
  Machining & CNC | Production supervisor, Machining | CNC operator/CNC-operatör; CNC programmer/CNC-programmerare; Maintenance technician/Underhållstekniker | Göteborg 13, Kraków 3
  Assembly | Production supervisor, Assembly | Assembly technician/Montör; Production technician/Produktionstekniker; Production planner/Produktionsplanerare | Göteborg 17, Kraków 3
  Quality | Quality manager | Quality engineer/Kvalitetsingenjör; Quality technician/Kvalitetstekniker; Quality auditor | Göteborg 6, Kraków 2, Helsinki 1
Supply Chain | Head of Supply Chain | Göteborg
  Procurement | Procurement manager | Buyer/Inköpare; Strategic buyer/Strategisk inköpare; Procurement specialist | Stockholm 5, Helsinki 3
  Warehouse & Logistics | Warehouse manager | Warehouse operative/Lagerarbetare; Forklift operator/Truckförare; Logistics coordinator/Logistikkoordinator; Shift leader, warehouse/Skiftledare lager | Göteborg 14, Oslo 4, Kraków 2
  Customs & Export | Customs & export manager | Customs specialist/Tullspecialist; Export coordinator; Trade compliance analyst | Göteborg 3, Oslo 1, Kraków 1
Sales | Sales director | Stockholm
  Sales Sweden | Sales manager Sweden | Key account manager; Account manager/Säljare; Inside sales representative/Innesäljare | Stockholm 12, Göteborg 4
  Sales Norway | Sales manager Norway | Key account manager; Account manager | Oslo 8
  Sales Finland | Sales manager Finland | Key account manager; Account manager | Helsinki 7
  Sales Denmark | Sales manager Denmark | Key account manager; Account manager | Copenhagen 8
  Sales Operations | Sales operations manager | Sales operations analyst; CRM administrator; Pricing analyst | Stockholm 4, Copenhagen 2
Customer Support | Head of Customer Support | Göteborg
  Support Nordics | Support team lead | Customer support agent/Kundtjänstmedarbetare; Technical support specialist | Göteborg 10, Oslo 3, Copenhagen 3, Helsinki 2
  Returns & Warranty | Returns team lead | Returns coordinator/Returkoordinator; Warranty specialist | Göteborg 4, Kraków 2
Finance | CFO | Stockholm
  Accounting | Accounting manager | Accountant/Redovisningsekonom; Accounts payable specialist; Accounts receivable specialist; Travel & expense administrator | Stockholm 8, Kraków 4
  Controlling | Head of Controlling | Financial controller; Business controller; Financial analyst | Stockholm 4, Helsinki 2
HR | HR director | Stockholm
  HR Partners | HR manager | HR business partner; HR generalist | Stockholm 3, Göteborg 2, Oslo 1
  Payroll | Payroll manager | Payroll specialist/Lönespecialist; Payroll administrator/Löneadministratör | Stockholm 2, Kraków 3
  Talent & Onboarding | Talent acquisition lead | Recruiter; Onboarding coordinator; Learning & development specialist | Stockholm 3, Copenhagen 1
Legal | General Counsel | Stockholm
  Legal & Compliance | Senior legal counsel | Legal counsel/Bolagsjurist; Compliance officer; Data protection officer; Paralegal | Stockholm 4, Copenhagen 1, Helsinki 1
"""
# Private groups: topic -> group; members = department(s) (+ the topic's experts, "invited").
GROUP_OF = {"payroll": "hr-internal", "onboarding": "hr-internal", "budget": "ledningsgruppen",
            "contracts": "ledningsgruppen", "gdpr": "ledningsgruppen", "kubernetes": "platform-team",
            "ci": "platform-team", "sap": "finance-team", "travel": "finance-team", "iso9001": "quality-team",
            "welding": "quality-team"}
GROUP_DEPTS = {"hr-internal": ["HR"], "finance-team": ["Finance"], "platform-team": ["Engineering"],
               "quality-team": ["Manufacturing"], "ledningsgruppen": ["Management"]}  # + all department heads

TOPICS_FILE = os.path.join(HERE, "demo_topics.txt")


PHRASES = {
    "sv": dict(
        open=["Hej!", "Hej alla,", "Hejsan!", "Tjena!", "God morgon!", "Snabb fråga:", "Hej, hoppas någon kan hjälpa mig."],
        ask=["Någon som vet hur man löser det?", "Tacksam för tips!", "Vem kan jag fråga om det här?",
             "Har någon stött på samma sak?", "Finns det någon guide för det här?", "Hur brukar ni göra?",
             "Det är lite bråttom, så all hjälp uppskattas.", "Vad är rätt sätt att göra det här?"],
        mention=["@{f}, du kanske vet?", "Kanske något för @{f}?", "Jag har hört att @{f} kan det här.",
                 "@{f} – har du koll på det här?"],
        err=['Felmeddelandet är: "{e}"', "Jag får felet `{e}`."],
        prefix=["Fråga: ", "Hjälp! ", "[{site}] ", "Akut: "],
        ctx=["Jag har letat på intranätet men hittar inget om det.", "Det fungerade förut men inte sedan i måndags.",
             "Min kollega i {site} hade samma fråga förra veckan.", "Vi är flera i teamet som undrar."],
        a_open=["Det där har vi sett förut.", "Bra fråga!", "Det här är ett vanligt problem.",
                "Jag hade exakt samma sak förra veckan.", "Hej!", "Det här brukar lösa det:"],
        a_close=["Hör av dig om det strular!", "Jag har skrivit en guide om det här tidigare, sök på intranätet.",
                 "Säg till om du vill att vi tittar på det tillsammans.", "Lycka till!", "Hoppas det hjälper.",
                 "Återkom om det inte fungerar."],
        refer=["@{f} kan det här minst lika bra som jag.", "Kolla också med @{f}, hen har gjort det många gånger."],
        hedge=["Jag är ingen expert, men så här gjorde vi:", "Inte helt säker, men jag tror att det är så här:",
               "Vet inte om det hjälper, men:", "Såg något liknande för ett tag sedan."],
        weak=["Har du provat att starta om?", "Jag tror att supporten kan hjälpa till med det.",
              "Vi hade något liknande för ett tag sedan men jag minns inte hur det löstes.",
              "Kolla i wikin, där borde det finnas något.", "Fråga din chef, de brukar veta vem som äger det."],
        n_close=["Någon annan kanske vet bättre.", "Prova det och hör av dig.",
                 "Kanske värt att dubbelkolla med någon som jobbar med det."],
        thanks=["Tack, det löste det!", "Tack @{f}, nu funkar det!", "Perfekt, precis vad jag behövde.",
                "Grymt, tack!", "Tack för snabbt svar @{f}!", "Det fungerade, stort tack!"],
        follow=["Funkade inte riktigt för mig, jag har fortfarande samma problem.", "Tack! Gäller det här även i {other}?",
                "Hur gör man om man inte har behörighet till det?",
                "Jag provade det men det hjälpte inte. Något mer jag kan testa?"],
        q_comm=["Samma problem här på kontoret i {site}.", "+1, skulle också vilja veta.",
                "Följer tråden, vi har samma fråga.", "Bra fråga, har undrat samma sak.", "Har du kollat i wikin?",
                "Vi hade samma sak förra månaden."],
        correct=["Stämmer delvis. {tip}", "Ett tillägg: {tip}", "Inte riktigt så. {tip}"],
        art_open=["Eftersom många frågar om {topic} har jag samlat det viktigaste här.",
                  "En kort sammanfattning av hur vi jobbar med {topic} just nu.",
                  "En uppdatering för alla som berörs av {topic}.", "Några tips om {topic} som sparar tid."],
        art_close=["Frågor? Skriv en kommentar så svarar jag.", "Jag uppdaterar inlägget när något ändras.",
                   "Hör av er om något är oklart!"],
        art_comm=["Tack för en bra genomgång!", "Mycket användbart, delar med mitt team.",
                  "Kan du lägga upp det här i wikin också?", "Bra skrivet! Kommer det en del två?",
                  "Äntligen en tydlig guide, tack!", "Gäller det här även i {other}?"],
        art_reply=["Ja, det gäller alla kontor.", "Bra fråga, jag kollar upp det och återkommer.",
                   "Tack! Ja, jag lägger in det i wikin."]),
    "en": dict(
        open=["Hi!", "Hi all,", "Hello,", "Hey everyone,", "Good morning!", "Quick question:", "Hi, hoping someone can help."],
        ask=["Does anyone know how to fix this?", "Any tips appreciated!", "Who should I ask about this?",
             "Has anyone run into the same thing?", "Is there a guide for this somewhere?", "How do you usually do it?",
             "It is a bit urgent, so any help is welcome.", "What is the right way to do this?"],
        mention=["@{f}, maybe you know?", "Maybe something for @{f}?", "I heard @{f} knows this stuff.",
                 "@{f} – any idea?"],
        err=['The error message is: "{e}"', "I get `{e}`."],
        prefix=["Question: ", "Help! ", "[{site}] ", "Urgent: "],
        ctx=["I searched the intranet but found nothing about it.", "It used to work but not since Monday.",
             "My colleague in {site} had the same question last week.", "Several of us in the team are wondering."],
        a_open=["We have seen this before.", "Good question!", "This is a common one.",
                "I had exactly the same thing last week.", "Hi!", "This usually fixes it:"],
        a_close=["Ping me if it still breaks!", "I wrote a guide on this earlier, search the intranet.",
                 "Let me know if you want to look at it together.", "Good luck!", "Hope that helps.",
                 "Get back to me if it doesn't work."],
        refer=["@{f} knows this at least as well as I do.", "Also check with @{f}, they have done it many times."],
        hedge=["Not an expert, but this is what we did:", "Not 100% sure, but I think it works like this:",
               "Not sure if it helps, but:", "Saw something similar a while ago."],
        weak=["Have you tried restarting?", "I think the helpdesk can help with that.",
              "We had something similar a while ago but I don't remember how it was solved.",
              "Check the wiki, there should be something there.", "Ask your manager, they usually know who owns it."],
        n_close=["Someone else might know better.", "Try it and let us know.",
                 "Might be worth double-checking with someone who works with this."],
        thanks=["Thanks, that solved it!", "Thanks @{f}, works now!", "Perfect, exactly what I needed.",
                "Great, thanks!", "Thanks for the quick answer @{f}!", "That worked, thanks a lot!"],
        follow=["Didn't quite work for me, I still have the same problem.", "Thanks! Does this apply in {other} too?",
                "What if I don't have access to that?", "I tried that but it didn't help. Anything else I can try?"],
        q_comm=["Same problem here at the {site} office.", "+1, would also like to know.",
                "Following, we have the same question.", "Good question, I have wondered the same.",
                "Have you checked the wiki?", "We had the same thing last month."],
        correct=["Partly right. {tip}", "One addition: {tip}", "Not quite. {tip}"],
        art_open=["Since a lot of people ask about {topic}, I have collected the essentials here.",
                  "A short summary of how we work with {topic} right now.",
                  "An update for everyone affected by {topic}.", "Some tips on {topic} that save time."],
        art_close=["Questions? Leave a comment and I will answer.", "I will update this post when things change.",
                   "Let me know if anything is unclear!"],
        art_comm=["Thanks for a great walkthrough!", "Very useful, sharing with my team.",
                  "Could you put this in the wiki too?", "Well written! Will there be a part two?",
                  "Finally a clear guide, thanks!", "Does this apply in {other} too?"],
        art_reply=["Yes, it applies to all offices.", "Good question, I will check and get back to you.",
                   "Thanks! Yes, I will add it to the wiki."]),
}


def lc_first(s):
    """Lower-case a topic name for use mid-sentence, keeping acronyms and product names."""
    w = s.split()[0]
    keep = w[1:] != w[1:].lower() or w in ("Kubernetes", "Power", "Salesforce", "Teams")
    return s if keep else s[0].lower() + s[1:]


def parse_map(v):
    """ "1/0+2/- 3/-" -> [(1, [0, 2], None), (3, [], None)]: answer fact, contexts, error per title."""
    out = []
    for entry in v.split():
        f = (entry.split("/") + ["-", "-"])[:3]
        out.append((int(f[0]), [int(c) for c in f[1].split("+") if c != "-"], None if f[2] == "-" else int(f[2])))
    return out


def parse_topics(path):
    topics = []
    with open(path, encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]
    for line in lines:
        if line.startswith("@"):
            f = [x.strip() for x in line[1:].split("|")]
            topics.append(dict(key=f[0], name={"sv": lc_first(f[1]), "en": lc_first(f[2])},
                               title={"sv": f[1], "en": f[2]}, tags=f[3].split(","),
                               teams=[t for t in f[4].split(",") if t], audience=f[5].split(","),
                               weight=float(f[6]), special=f[7] if len(f) > 7 else ""))
        else:
            k, v = [x.strip() for x in line.split(":", 1)]
            if k in ("m", "ms", "me"):
                for lang in ("sv", "en") if k == "m" else ("sv" if k == "ms" else "en",):
                    topics[-1]["map_" + lang] = parse_map(v)
            else:
                topics[-1][k] = [x.strip() for x in v.split(" | ")]
    for t in topics:
        for sfx, lang in (("s", "sv"), ("e", "en")):
            assert len(t["map_" + lang]) == len(t["q" + sfx]), t["key"]
    return topics


class Generator:
    def __init__(self, seed=SEED):
        self.r = random.Random(seed)
        self.people, self.posts = [], []
        self.topics = parse_topics(TOPICS_FILE)

    # ---------------------------------------------------------------- people
    def new_person(self, title, dept, team, site, manager, role):
        r, country = self.r, SITES[site][0]
        if country == "SE":
            nat = r.choices(["SE", "FI", "PL", "NO", "DK"], [92, 3, 2, 2, 1])[0]
        else:
            nat = country if r.random() < 0.92 else "SE"
        first, last, langs = NAMES[nat]
        taken = {p["display_name"] for p in self.people}
        while True:
            name = "%s %s" % (r.choice(first.split()), r.choice(last.split()))
            if name not in taken:
                break
        langs = list(langs)
        if nat == "FI" and r.random() < 0.15:  # Finland-Swedes
            langs = ["fi", "sv", "en"]
        if "/" in title:
            en, sv = title.split("/")
            title = sv if country == "SE" else en
        p = dict(type="person", id="u%04d" % (len(self.people) + 1), display_name=name, title=title,
                 department=dept, site=site, country=country, manager_id=manager["id"] if manager else "",
                 languages=langs, active=True, opted_out=False, _team=team, _role=role, _left=None)
        self.people.append(p)
        return p

    def build_org(self):
        ceo = self.new_person("CEO", "Management", "", "Stockholm", None, "ceo")
        self.new_person("Executive assistant", "Management", "", "Stockholm", ceo, "member")
        self.new_person("Head of Communications", "Management", "", "Stockholm", ceo, "member")
        for line in ORG.strip().splitlines():
            f = [x.strip() for x in line.split("|")]
            if not line.startswith(" "):
                dept, head = f[0], self.new_person(f[1], f[0], "", f[2], ceo, "head")
                continue
            sites = [(x.rsplit(" ", 1)[0], int(x.rsplit(" ", 1)[1])) for x in f[3].split(", ")]
            lead = self.new_person(f[1], dept, f[0], sites[0][0], head, "lead")
            for site, n in sites:
                for _ in range(n):
                    self.new_person(self.r.choice(f[2].split("; ")), dept, f[0], site, lead, "member")

    def team_members(self, spec):
        dept, team = spec.split("/")
        return [p for p in self.people if p["department"] == dept and p["_team"] == team and p["_role"] != "head"]

    def pick_experts(self):
        """2-3 experts per topic (one per team spec); >= 1 English-only; optional inactive/opted-out one."""
        r, used = self.r, set()

        def swap(t, i, ok):  # replace expert i by a fitting team (else department) colleague
            dept = t["teams"][i].split("/")[0]
            for scope in (self.team_members(t["teams"][i]), [p for p in self.people if p["department"] == dept],
                          self.people):
                cands = [p for p in scope if p["id"] not in used and ok(p)]
                if cands:
                    used.discard(t["experts"][i]["id"])
                    t["experts"][i] = r.choice(cands)
                    used.add(t["experts"][i]["id"])
                    return t["experts"][i]
            raise RuntimeError("no candidate for " + t["key"])

        for t in self.topics:
            t["experts"] = []
            for spec in t["teams"]:
                t["experts"].append(r.choice([p for p in self.team_members(spec) if p["id"] not in used]))
                used.add(t["experts"][-1]["id"])
            if not t["experts"]:
                continue
            en = [p for p in t["experts"] if "sv" not in p["languages"]]
            en = en[0] if en else swap(t, len(t["experts"]) - 1, lambda p: "sv" not in p["languages"])
            if t["special"]:  # the inactive / opted-out expert writes Swedish, never the English-only one
                sv = [p for p in t["experts"] if "sv" in p["languages"] and p["country"] == "SE"]
                sp = sv[0] if sv else swap(t, next(i for i, p in enumerate(t["experts"]) if p is not en),
                                           lambda p: "sv" in p["languages"] and p["country"] == "SE")
                if t["special"] == "inactive":
                    sp["active"], sp["_left"] = False, dt.datetime(2025, 3, 14)
                else:
                    sp["opted_out"] = True
                t["special_expert"] = sp
            t["en_expert"] = en  # second in line: ~30-38 % of the experts' answers
            t["experts"].remove(en)
            t["experts"].insert(1, en)
        # background churn: ~3% inactive, ~2% opted out, among ordinary members
        pool = [p for p in self.people if p["_role"] == "member" and p["id"] not in used]
        picks = r.sample(pool, 14)
        for p in picks[:9]:
            p["active"] = False
            p["_left"] = START + dt.timedelta(days=r.randint(90, 660))
        for p in picks[9:]:
            p["opted_out"] = True
        # a "frequent asker" per topic: asks a lot, is not an expert (decoy)
        for t in self.topics:
            cands = [p for p in self.audience(t) if p["id"] not in used and p["active"] and not p["opted_out"]]
            t["frequent_asker"] = r.choice(cands)

    # --------------------------------------------------------------- helpers
    def audience(self, t):
        if t["audience"] == ["*"]:
            return self.people
        return [p for p in self.people if p["department"] in t["audience"]]

    def group_members(self, group):
        return [p for p in self.people if p["department"] in GROUP_DEPTS[group] or p["_role"] in ("ceo", "head")]

    def group_pool(self, group, t):
        """Authors allowed in a private thread: group members plus the topic's (invited) experts."""
        if not group:
            return None
        pool = self.group_members(group)
        return pool + [e for e in t["experts"] if all(e is not p for p in pool)]

    @staticmethod
    def avail(p, t):
        return p["_left"] is None or t < p["_left"]

    def choose(self, cands, t, exclude=(), lang=None):
        """Random available person; in a Swedish thread non-Swedish speakers rarely join in."""
        cands = [p for p in cands if self.avail(p, t) and p["id"] not in exclude]
        if lang == "sv" and self.r.random() < 0.95:
            cands = [p for p in cands if "sv" in p["languages"]] or cands
        return self.r.choice(cands) if cands else None

    def root_lang(self, p):
        if "sv" not in p["languages"]:
            return "en"
        return "sv" if self.r.random() < (0.95 if p["country"] == "SE" else 0.4) else "en"

    def reply_lang(self, p, ctx):
        if "sv" not in p["languages"]:
            return "en"
        if ctx == "sv":
            return "sv" if self.r.random() < 0.95 else "en"
        return "en" if self.r.random() < 0.8 else "sv"

    def fill(self, s, lang, person):
        r = self.r
        site = person["site"] if r.random() < 0.7 else r.choice(list(SITES))
        other = r.choice([x for x in SITES if x != person["site"]])
        s = s.replace("{site}", SITES[site][1 if lang == "sv" else 2])
        s = s.replace("{other}", SITES[other][1 if lang == "sv" else 2])
        s = s.replace("{nn}", str(r.randint(10, 60)))
        return s.replace("{n}", str(r.randint(2, 9)))

    def ph(self, lang, key, person, mention=None, **kw):
        s = self.r.choice(PHRASES[lang][key])
        for k, v in kw.items():
            s = s.replace("{%s}" % k, v)
        if "{f}" in s:
            if mention is None:
                return "", None
            s = s.replace("{f}", mention["display_name"].split()[0])
        return self.fill(s, lang, person), (mention if mention and "@" in s else None)

    def tips(self, t, lang, person, k, first=None):
        """k answer facts in `lang`; `first` (an index) leads if given."""
        items = t["as" if lang == "sv" else "ae"]
        idx = [i for i in self.r.sample(range(len(items)), len(items)) if i != first]
        idx = ([first] if first is not None else []) + idx
        return [self.fill(items[i], lang, person) for i in idx[:k]]

    def delay(self, t, mean_h, max_h):
        secs = min(max_h * 3600, max(120, self.r.expovariate(1.0 / (mean_h * 3600))))
        return t + dt.timedelta(seconds=int(secs))

    def likes(self, author, t, k, pool):
        cands = [p for p in (pool or self.people) if p["id"] != author["id"] and self.avail(p, t)]
        picks = self.r.sample(cands, min(k, len(cands)))
        return sorted(p["id"] for p in picks)

    def add(self, kind, author, t, lang, thread, parent, title, body, tags, vis, mentioned=(), likes=(),
            accepted=False):
        post = dict(type="post", id=len(self.posts), author_id=author["id"], thread_id=thread, parent_id=parent,
                    kind=kind, title=title, body=body, tags=list(tags), language=lang, created=t,
                    visibility=vis, accepted=accepted, liked_by=list(likes),
                    mentioned=sorted({m["id"] for m in mentioned if m}), _expert=False)
        if thread is None:
            post["thread_id"] = post["id"]
        self.posts.append(post)
        return post

    def thread_time(self):
        r = self.r
        days = (LAST_THREAD - START).days
        while True:
            d = START + dt.timedelta(days=r.randrange(days + 1))
            if d.weekday() < 5 or r.random() < 0.1:
                break
        return d + dt.timedelta(hours=r.randint(6, 16), minutes=r.randrange(60), seconds=r.randrange(60))

    def pick_expert(self, t, when, exclude):
        ex = [(p, w) for p, w in zip(t["experts"], [0.5, 0.3, 0.2])
              if self.avail(p, when) and p["id"] not in exclude]
        if not ex:
            return None
        return self.r.choices([p for p, _ in ex], [w for _, w in ex])[0]

    def nonexpert(self, t, when, exclude, pool, lang=None, narrow=False):
        """A non-expert: usually from the experts' departments or the topic's audience."""
        if pool:
            cands = pool
        elif t["experts"] and (narrow or self.r.random() < 0.6):
            depts = {e["department"] for e in t["experts"]}
            cands = [p for p in self.people if p["department"] in depts]
        else:
            cands = self.audience(t) if self.r.random() < 0.85 else self.people
        return self.choose(cands, when, list(exclude) + [e["id"] for e in t["experts"]], lang)

    # ----------------------------------------------------------------- posts
    def question_thread(self, t, when):
        r = self.r
        group = GROUP_OF.get(t["key"]) if r.random() < 0.11 else None
        vis = "group:" + group if group else "public"
        pool = self.group_pool(group, t)
        expert_ids = [e["id"] for e in t["experts"]]
        fa = t["frequent_asker"]
        if not pool and r.random() < 0.22 and self.avail(fa, when):
            asker = fa
        else:
            asker = self.choose(pool or (self.audience(t) if r.random() < 0.8 else self.people), when, expert_ids)
        lang = self.root_lang(asker)
        sfx = "s" if lang == "sv" else "e"
        qi = r.randrange(len(t["q" + sfx]))
        fact, ctxs, err = t["map_" + lang][qi]
        title = self.fill(t["q" + sfx][qi], lang, asker)
        if r.random() < 0.1:  # people decorate titles now and then
            title = self.fill(r.choice(PHRASES[lang]["prefix"]), lang, asker) + title
        elif r.random() < 0.06 and title[1:2].islower():
            title = title[0].lower() + title[1:]
        parts = [r.choice(PHRASES[lang]["open"])] if r.random() < 0.45 else []
        if ctxs:
            parts.append(self.fill(t["c" + sfx][r.choice(ctxs)], lang, asker))
        elif r.random() < 0.5:
            parts.append(self.fill(r.choice(PHRASES[lang]["ctx"]), lang, asker))
        if err is not None and r.random() < 0.6:
            parts.append(r.choice(PHRASES[lang]["err"]).replace("{e}", t["err"][err]))
        parts.append(r.choice(PHRASES[lang]["ask"]))
        mentioned = []
        if r.random() < 0.25:
            if t["experts"] and r.random() < 0.6:  # people tend to @-mention the known expert
                target = self.pick_expert(t, when, [asker["id"]])
            else:  # ... or their manager / a team mate
                near = [p for p in self.people if p["id"] == asker["manager_id"]
                        or (p["_team"] == asker["_team"] and p["department"] == asker["department"])]
                target = self.choose(near, when, [asker["id"]])
            if target:
                txt, m = self.ph(lang, "mention", asker, target)
                parts.append(("\n\n" if r.random() < 0.5 else "") + txt)
                mentioned.append(m)
        tags = [t["tags"][0]] + r.sample(t["tags"][1:], min(len(t["tags"]) - 1, r.choice([0, 1, 1, 2])))
        body = " ".join(parts).replace(" \n\n", "\n\n")
        q = self.add("question", asker, when, lang, None, "", title, body, tags, vis, mentioned,
                     self.likes(asker, when, r.choice([0, 0, 0, 1, 1, 2, 3]), pool))
        q["_fact"] = fact
        self.comments_on(q, t, asker, pool, r.choices([0, 1, 2], [62, 30, 8])[0], "q_comm")
        if r.random() < 0.12:
            return
        answers, used = [], [asker["id"]]
        for _ in range(r.choices([1, 2, 3, 4], [45, 30, 17, 8])[0]):
            at = self.delay(when, 8, 96)
            author = self.pick_expert(t, at, used) if t["experts"] and r.random() < 0.55 else None
            is_exp = author is not None
            author = author or self.nonexpert(t, at, used, pool, lang)
            if author is None:
                continue
            used.append(author["id"])
            answers.append(self.answer(t, q, author, at, is_exp, vis, pool))
        good = [a for a in answers if a["_quality"] > 0]
        if good and r.random() < 0.72:
            exp = [a for a in good if a["_expert"]]
            acc = exp[0] if exp and r.random() < 0.85 else r.choice(good)
            acc["accepted"] = True
            acc["liked_by"] = sorted(set(acc["liked_by"]) | {asker["id"]})
        for a in answers:
            self.answer_comments(t, q, a, asker, pool)

    def answer(self, t, q, author, when, is_exp, vis, pool):
        r, lang = self.r, self.reply_lang(author, q["language"])
        mentioned, parts = [], []
        if is_exp:
            if r.random() < 0.5:
                parts.append(r.choice(PHRASES[lang]["a_open"]))
            tips = self.tips(t, lang, author, r.choice([1, 2, 2, 2, 3, 3]), q["_fact"])
            bullets = len(tips) > 1 and r.random() < 0.3
            parts.append("\n".join("- " + s for s in tips) if bullets else " ".join(tips))
            others = [e for e in t["experts"] if e is not author and self.avail(e, when)]
            if others and r.random() < 0.12:
                txt, m = self.ph(lang, "refer", author, r.choice(others))
                parts.append(txt)
                mentioned.append(m)
            if r.random() < 0.45:
                parts.append(r.choice(PHRASES[lang]["a_close"]))
            quality, nlikes = 2, r.randint(1, 9)
            if bullets:
                parts = ["\n\n".join(parts)]
        elif r.random() < 0.4:
            parts.append(r.choice(PHRASES[lang]["weak"]))
            quality, nlikes = 0, r.choice([0, 0, 1])
        else:  # a plausible but less authoritative answer, often not quite on target
            on_target = r.random() < 0.55
            parts.append(r.choice(PHRASES[lang]["hedge"]))
            parts += self.tips(t, lang, author, 1, q["_fact"] if on_target else None)
            if r.random() < 0.4:
                parts.append(r.choice(PHRASES[lang]["n_close"]))
            quality, nlikes = (1 if on_target else 0), r.choice([0, 0, 1, 1, 2, 3])
        body = "\n\n".join(parts) if len(parts) > 2 and r.random() < 0.4 else " ".join(parts)
        a = self.add("answer", author, when, lang, q["thread_id"], q["id"], "", body, q["tags"], vis, mentioned,
                     self.likes(author, when, nlikes, pool))
        a["_expert"], a["_quality"], a["_fact"] = is_exp, quality, q["_fact"]
        return a

    def comment(self, parent, author, key_or_text, lang, mention=None, tip=None, max_h=48):
        when = self.delay(parent["created"], 5, max_h)
        if key_or_text in PHRASES[lang]:
            kw = {"tip": tip} if tip else {}
            text, m = self.ph(lang, key_or_text, author, mention, **kw)
            while not text:  # phrase needed a mention we don't have
                text, m = self.ph(lang, key_or_text, author, mention, **kw)
        else:
            text, m = key_or_text, None
        likes = self.likes(author, when, self.r.choice([0, 0, 0, 1]), None)
        return self.add("comment", author, when, lang, parent["thread_id"], parent["id"], "", text, parent["tags"],
                        parent["visibility"], [m], likes)

    def comments_on(self, post, t, op, pool, n, key):
        for _ in range(n):
            who = self.choose(pool or self.audience(t), post["created"], [op["id"]], post["language"])
            if who:
                c = self.comment(post, who, key, self.reply_lang(who, post["language"]))
                if key == "art_comm" and self.r.random() < 0.3:
                    self.comment(c, op, "art_reply", self.reply_lang(op, c["language"]))

    def answer_comments(self, t, q, a, asker, pool):
        r = self.r
        author = self.people_by_id[a["author_id"]]
        if a["accepted"] and r.random() < 0.55 and self.avail(asker, a["created"]):
            self.comment(a, asker, "thanks", self.reply_lang(asker, a["language"]), author)
        elif not a["accepted"] and r.random() < 0.15 and self.avail(asker, a["created"]):
            c = self.comment(a, asker, "follow", self.reply_lang(asker, a["language"]))
            if a["_quality"] == 2 and r.random() < 0.5:  # expert follows up
                lang = self.reply_lang(author, c["language"])
                self.comment(c, author, " ".join(self.tips(t, lang, author, 1)), lang)  # another angle
        elif not a["_expert"] and t["experts"] and r.random() < 0.15:
            e = self.pick_expert(t, a["created"], [author["id"], asker["id"]])
            if e:
                lang = self.reply_lang(e, a["language"])
                self.comment(a, e, "correct", lang, tip=self.tips(t, lang, e, 1, a["_fact"])[0])

    def article(self, t, when):
        r = self.r
        group = GROUP_OF.get(t["key"]) if r.random() < 0.08 else None
        pool = self.group_pool(group, t)
        author = self.pick_expert(t, when, []) if r.random() < 0.75 else None
        is_exp = author is not None
        author = author or self.nonexpert(t, when, [], pool, narrow=True)
        lang = self.root_lang(author)
        sfx = "s" if lang == "sv" else "e"
        title = self.fill(r.choice(t["r" + sfx]), lang, author)
        intro = r.choice(PHRASES[lang]["art_open"]).replace("{topic}", t["name"][lang])
        tips = self.tips(t, lang, author, r.randint(3, 5) if is_exp else r.randint(2, 3))
        body = "%s\n\n%s\n\n%s" % (intro, "\n".join("%d. %s" % (i + 1, s) for i, s in enumerate(tips)),
                                   r.choice(PHRASES[lang]["art_close"]))
        tags = [t["tags"][0]] + r.sample(t["tags"][1:], min(len(t["tags"]) - 1, r.choice([1, 1, 2])))
        nl = r.randint(4, 20) if is_exp else r.randint(0, 6)
        art = self.add("article", author, when, lang, None, "", title, body, tags,
                       "group:" + group if group else "public", (), self.likes(author, when, nl, pool))
        art["_expert"] = is_exp
        self.comments_on(art, t, author, pool, r.choices([0, 1, 2, 3], [35, 35, 20, 10])[0], "art_comm")

    # ------------------------------------------------------------------ main
    def run(self):
        self.build_org()
        self.people_by_id = {p["id"]: p for p in self.people}
        self.pick_experts()
        r = self.r
        qw = [t["weight"] for t in self.topics]
        for _ in range(N_QUESTIONS):
            self.question_thread(r.choices(self.topics, qw)[0], self.thread_time())
        ex_topics = [t for t in self.topics if t["experts"]]
        for _ in range(N_ARTICLES):
            self.article(r.choice(ex_topics), self.thread_time())
        for p in self.posts:  # a few posts leave language detection to the engine
            if r.random() < 0.03:
                p["_lang"], p["language"] = p["language"], ""
        # creation-time order, then stable public ids
        order = sorted(self.posts, key=lambda p: (p["created"], p["id"]))
        ids = {p["id"]: "p%05d" % (i + 1) for i, p in enumerate(order)}
        for p in order:
            p["id"], p["thread_id"] = ids[p["id"]], ids[p["thread_id"]]
            p["parent_id"] = ids[p["parent_id"]] if p["parent_id"] != "" else ""
            p["created"] = p["created"].strftime("%Y-%m-%dT%H:%M:%SZ")
        self.posts = order
        return self

    def check(self):
        ids = {p["id"] for p in self.people}
        assert sum(1 for p in self.people if p["manager_id"] == "") == 1
        assert all(p["manager_id"] in ids for p in self.people if p["manager_id"])
        byid = {p["id"]: p for p in self.posts}
        for p in self.posts:
            assert p["author_id"] in ids and p["created"] <= "2025-12-31T23:59:59Z"
            if p["parent_id"]:
                assert byid[p["parent_id"]]["created"] <= p["created"] and p["thread_id"] != p["id"]
            assert not p["accepted"] or p["kind"] == "answer"
        for t in self.topics:
            if t["experts"]:
                e = t["en_expert"]["id"]
                assert any(p["author_id"] == e for p in self.posts), t["key"]
                assert all(p["language"] in ("en", "") for p in self.posts if p["author_id"] == e)

    def write(self, out, truth):
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            for rec in self.people + self.posts:
                clean = {k: v for k, v in rec.items() if not k.startswith("_")}
                f.write(json.dumps(clean, ensure_ascii=False, separators=(",", ":")) + "\n")

        def who(p):
            return {"id": p["id"], "name": p["display_name"], "title": p["title"], "department": p["department"],
                    "site": p["site"], "languages": p["languages"], "active": p["active"],
                    "opted_out": p["opted_out"]}
        gt = []
        for t in self.topics:
            n_sv_q = sum(1 for p in self.posts if p["kind"] == "question" and p["language"] == "sv"
                         and p["tags"][0] == t["tags"][0])
            gt.append({"topic": t["key"], "name_sv": t["title"]["sv"], "name_en": t["title"]["en"],
                       "tags": t["tags"], "experts": [who(p) for p in t["experts"]],
                       "english_only_expert": t["en_expert"]["id"] if t["experts"] else None,
                       "not_recommendable": [t["special_expert"]["id"]] if t.get("special_expert") else [],
                       "frequent_asker_not_expert": t["frequent_asker"]["id"],
                       "swedish_questions": n_sv_q})
        with open(truth, "w", encoding="utf-8", newline="\n") as f:
            json.dump(gt, f, ensure_ascii=False, indent=1)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "demo", "company.jsonl"))
    ap.add_argument("--truth", default=None, help="ground-truth JSON (default: next to --out)")
    a = ap.parse_args()
    truth = a.truth or os.path.join(os.path.dirname(os.path.abspath(a.out)), "ground_truth.json")
    g = Generator().run()
    g.check()
    g.write(a.out, truth)
    kinds = {}
    for p in g.posts:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    print("wrote %s: %d people, %d posts %s" % (a.out, len(g.people), len(g.posts), kinds))


if __name__ == "__main__":
    main()
