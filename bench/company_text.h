// The words of the generated company (bench/company_generator.cc): names
// by nationality, sites, departments and the phrases posts are written
// with, in six languages. Data, not logic. Templates take {a} and {b} (topic
// terms) and {f} (a first name); none holds a character JSON must escape.
#ifndef WHOKNOWS_BENCH_COMPANY_TEXT_H_
#define WHOKNOWS_BENCH_COMPANY_TEXT_H_

#include <array>
#include <string_view>

namespace whoknows::bench {

using Words = std::array<std::string_view, 16>;

struct Nationality {
  std::string_view country;
  Words first, last;
};

// SE, NO, FI, DK, DE, PL, GB; US people take the GB names.
inline constexpr std::array<Nationality, 7> kNationalities = {{
    {"SE",
     {"Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Anders",
      "Emma", "Mikael", "Elin", "Per", "Linnea", "Oskar", "Åsa", "Björn"},
     {"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
      "Olsson", "Persson", "Lindqvist", "Lindberg", "Bergström", "Sandberg",
      "Sjöberg", "Engström", "Håkansson", "Åberg"}},
    {"NO",
     {"Ole", "Kari", "Ingrid", "Sindre", "Marte", "Håkon", "Silje", "Eirik",
      "Ingvild", "Øystein", "Ragnhild", "Hilde", "Vegard", "Solveig", "Espen",
      "Tone"},
     {"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
      "Kristiansen", "Haugen", "Bakke", "Solberg", "Halvorsen", "Moen", "Eide",
      "Rønning", "Myhre"}},
    {"FI",
     {"Mikko", "Anne", "Juha", "Päivi", "Jussi", "Hanna", "Antti", "Tiina",
      "Ville", "Satu", "Timo", "Laura", "Janne", "Riikka", "Sami", "Elina"},
     {"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen",
      "Laine", "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Saarinen",
      "Salminen", "Niemi", "Kinnunen", "Lindroos"}},
    {"DK",
     {"Mads", "Mette", "Søren", "Lene", "Rasmus", "Camilla", "Jesper",
      "Pernille", "Kasper", "Signe", "Morten", "Line", "Trine", "Frederik",
      "Mikkel", "Sanne"},
     {"Nielsen", "Jensen", "Hansen", "Pedersen", "Christensen", "Sørensen",
      "Rasmussen", "Jørgensen", "Madsen", "Kristensen", "Thomsen", "Poulsen",
      "Møller", "Mortensen", "Østergaard", "Holst"}},
    {"DE",
     {"Lukas", "Anna", "Jonas", "Lea", "Felix", "Laura", "Maximilian", "Sophie",
      "Paul", "Julia", "Tobias", "Katharina", "Stefan", "Sabine", "Jürgen",
      "Claudia"},
     {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
      "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf",
      "Schröder", "Neumann"}},
    {"PL",
     {"Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Agnieszka", "Paweł",
      "Magdalena", "Marcin", "Joanna", "Michał", "Monika", "Łukasz",
      "Aleksandra", "Jakub", "Ewa"},
     {"Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk",
      "Kaczmarek", "Zając", "Król", "Wieczorek", "Wróbel", "Pawlak", "Walczak",
      "Stępień", "Michalak", "Sikora"}},
    {"GB",
     {"Oliver", "Emily", "James", "Sophie", "Harry", "Olivia", "Jack",
      "Charlotte", "George", "Amelia", "Thomas", "Grace", "William", "Lucy",
      "Daniel", "Hannah"},
     {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
      "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White",
      "Roberts", "Green"}},
}};

struct Site {
  std::string_view name, country;
  int weight;  // relative share of the teams
};

// 20 sites in 8 countries.
inline constexpr std::array<Site, 20> kSites = {{
    {"Stockholm", "SE", 16}, {"Göteborg", "SE", 14},  {"Malmö", "SE", 6},
    {"Linköping", "SE", 5},  {"Oslo", "NO", 5},       {"Bergen", "NO", 2},
    {"Trondheim", "NO", 2},  {"Helsinki", "FI", 4},   {"Tampere", "FI", 2},
    {"Oulu", "FI", 1},       {"Copenhagen", "DK", 4}, {"Aarhus", "DK", 2},
    {"Berlin", "DE", 3},     {"Munich", "DE", 3},     {"Hamburg", "DE", 2},
    {"Kraków", "PL", 6},     {"Wrocław", "PL", 3},    {"London", "GB", 3},
    {"Manchester", "GB", 1}, {"Boston", "US", 2},
}};

struct Department {
  std::string_view name, slug;
  int weight;  // relative share of the people
  std::array<std::string_view, 3> titles;
};

// Management holds the CEO and the staff around them.
inline constexpr std::array<Department, 10> kDepartments = {{
    {"Management",
     "management",
     1,
     {"Chief of staff", "Strategy manager", "Executive assistant"}},
    {"Engineering",
     "engineering",
     14,
     {"Software developer", "Platform engineer", "Test engineer"}},
    {"IT",
     "it",
     8,
     {"System administrator", "Network engineer", "Service desk analyst"}},
    {"Manufacturing",
     "manufacturing",
     22,
     {"Welder", "CNC operator", "Production technician"}},
    {"Supply Chain",
     "supply-chain",
     12,
     {"Buyer", "Logistics coordinator", "Warehouse operative"}},
    {"Sales",
     "sales",
     12,
     {"Account manager", "Key account manager", "Sales analyst"}},
    {"Customer Support",
     "customer-support",
     10,
     {"Support agent", "Technical support specialist", "Returns coordinator"}},
    {"Finance",
     "finance",
     6,
     {"Accountant", "Financial controller", "Payroll specialist"}},
    {"HR", "hr", 5, {"HR business partner", "Recruiter", "HR generalist"}},
    {"Legal", "legal", 2, {"Legal counsel", "Compliance officer", "Paralegal"}},
}};

using Phrases = std::array<std::string_view, 6>;

// One language's phrases; empty entries are not used.
struct Language {
  std::string_view code;
  Phrases title, article, ask_open, ask_close, answer_open, answer_close, weak,
      comment, thanks, mention;
  std::array<std::string_view, 20> filler;  // common function words
};

inline constexpr std::array<Language, 6> kLanguages = {{
    {"en",
     {"How do I set up {a} for {b}?", "Why does {a} fail after the {b} update?",
      "Who knows {a} and {b}?", "Problem with {a} in {b}",
      "{a} keeps timing out on {b}", "Best way to handle {a} with {b}?"},
     {"Guide: {a} and {b}", "How we run {a} at scale",
      "Lessons learned from {a}", "{a} checklist for {b}"},
     {"Hi all,", "Quick question:", "Hello, hoping someone can help.",
      "Hey everyone,"},
     {"Does anyone know how to fix this?", "Any tips appreciated!",
      "Who should I ask about this?", "Has anyone seen this before?"},
     {"We have seen this before.", "Good question!",
      "This is a common problem.", "This usually fixes it:"},
     {"Let me know if it still fails.", "Hope that helps.",
      "I wrote a guide about this, search the intranet.", "Good luck!"},
     {"Have you tried restarting it?", "Maybe ask the support desk.",
      "Not sure, but check the wiki.",
      "I am no expert, but this is what we did:"},
     {"Same problem here.", "+1, I would like to know too.",
      "Following this thread.", "Did you check the wiki?",
      "We had the same issue last month."},
     {"Thanks @{f}, that solved it!", "Perfect, exactly what I needed.",
      "Thanks, it works now!"},
     {"Maybe @{f} knows?", "I heard @{f} knows this stuff.", "@{f}, any idea?"},
     {"the",  "and",   "to",   "of",  "in",  "for",  "with",
      "on",   "is",    "it",   "we",  "our", "this", "that",
      "when", "after", "from", "not", "but", "can"}},
    {"sv",
     {"Hur sätter jag upp {a} för {b}?",
      "Varför fungerar inte {a} efter uppdateringen av {b}?",
      "Vem kan {a} och {b}?", "Problem med {a} i {b}",
      "{a} får timeout mot {b}", "Bästa sättet att hantera {a} med {b}?"},
     {"Guide: {a} och {b}", "Så kör vi {a} i stor skala", "Lärdomar från {a}",
      "Checklista för {a} i {b}"},
     {"Hej alla,", "Snabb fråga:", "Hej, hoppas någon kan hjälpa mig.",
      "Hejsan!"},
     {"Någon som vet hur man löser det?", "Tacksam för tips!",
      "Vem kan jag fråga om det här?", "Har någon stött på samma sak?"},
     {"Det där har vi sett förut.", "Bra fråga!",
      "Det här är ett vanligt problem.", "Det här brukar lösa det:"},
     {"Hör av dig om det strular!", "Hoppas det hjälper.",
      "Jag har skrivit en guide om det här, sök på intranätet.", "Lycka till!"},
     {"Har du provat att starta om?", "Fråga supporten kanske.",
      "Inte säker, men kolla i wikin.",
      "Jag är ingen expert, men så här gjorde vi:"},
     {"Samma problem här.", "+1, skulle också vilja veta.", "Följer tråden.",
      "Har du kollat i wikin?", "Vi hade samma sak förra månaden."},
     {"Tack @{f}, det löste det!", "Perfekt, precis vad jag behövde.",
      "Tack, nu funkar det!"},
     {"Kanske @{f} vet?", "Jag har hört att @{f} kan det här.",
      "@{f}, har du koll på det här?"},
     {"och",  "att", "det", "som",  "en", "på", "är",  "av",    "för",  "med",
      "till", "den", "har", "inte", "om", "vi", "när", "efter", "från", "men"}},
    {"de",
     {"Wie richte ich {a} für {b} ein?",
      "Warum schlägt {a} nach dem {b} Update fehl?",
      "Wer kennt sich mit {a} und {b} aus?", "Problem mit {a} in {b}",
      "{a} läuft bei {b} in einen Timeout",
      "Wie geht man am besten mit {a} und {b} um?"},
     {"Anleitung: {a} und {b}", "So betreiben wir {a}", "Erfahrungen mit {a}",
      "Checkliste für {a} in {b}"},
     {"Hallo zusammen,",
      "Kurze Frage:", "Hallo, vielleicht kann mir jemand helfen.", "Moin!"},
     {"Weiß jemand, wie man das löst?", "Für Tipps bin ich dankbar!",
      "Wen kann ich dazu fragen?", "Hatte jemand schon das gleiche Problem?"},
     {"Das haben wir schon gesehen.", "Gute Frage!",
      "Das ist ein bekanntes Problem.", "Das hilft normalerweise:"},
     {"Melde dich, wenn es nicht klappt.", "Hoffe, das hilft.",
      "Ich habe dazu eine Anleitung im Intranet geschrieben.", "Viel Erfolg!"},
     {"Hast du es schon mit einem Neustart versucht?",
      "Frag vielleicht den Support.", "Nicht sicher, schau mal ins Wiki.",
      "Ich bin kein Experte, aber so haben wir es gemacht:"},
     {"Gleiches Problem hier.", "+1, würde mich auch interessieren.",
      "Ich verfolge den Thread.", "Hast du im Wiki nachgesehen?",
      "Das hatten wir letzten Monat auch."},
     {"Danke @{f}, das hat es gelöst!",
      "Perfekt, genau das habe ich gebraucht.",
      "Danke, jetzt funktioniert es!"},
     {"Vielleicht weiß @{f} das?",
      "Ich habe gehört, dass @{f} sich damit auskennt.", "@{f}, eine Idee?"},
     {"und",  "der", "die", "das",   "zu",   "in",    "für",
      "mit",  "auf", "ist", "es",    "wir",  "unser", "wenn",
      "nach", "vor", "von", "nicht", "aber", "kann"}},
    {"fi",
     {"Miten asennan {a} palveluun {b}?",
      "Miksi {a} ei toimi {b} päivityksen jälkeen?", "Kuka osaa {a} ja {b}?",
      "Ongelma: {a} ja {b}", "{a} aikakatkaistaan {b} kanssa",
      "Paras tapa käsitellä {a} ja {b}?"},
     {"Ohje: {a} ja {b}", "Näin ajamme {a}", "Opit projektista {a}",
      "Tarkistuslista: {a} ja {b}"},
     {"Hei kaikki,", "Nopea kysymys:", "Hei, toivottavasti joku voi auttaa.",
      "Moi!"},
     {"Tietääkö joku miten tämä korjataan?", "Kiitos vinkeistä!",
      "Keneltä voin kysyä tästä?", "Onko joku nähnyt saman?"},
     {"Tämä on nähty ennenkin.", "Hyvä kysymys!", "Tämä on yleinen ongelma.",
      "Tämä yleensä auttaa:"},
     {"Kerro jos se ei toimi.", "Toivottavasti tästä on apua.",
      "Kirjoitin tästä ohjeen intranetiin.", "Onnea!"},
     {"Oletko kokeillut käynnistää uudelleen?", "Kysy ehkä tuesta.",
      "En ole varma, katso wikistä.",
      "En ole asiantuntija, mutta näin me teimme:"},
     {"Sama ongelma täällä.", "+1, haluaisin myös tietää.", "Seuraan ketjua.",
      "Katsoitko wikistä?", "Meillä oli sama viime kuussa."},
     {"Kiitos @{f}, se ratkaisi sen!", "Täydellistä, juuri tätä tarvitsin.",
      "Kiitos, nyt toimii!"},
     {"Ehkä @{f} tietää?", "Kuulin että @{f} osaa tämän.", "@{f}, onko ideaa?"},
     {"ja",     "on",     "ei",   "se",    "että",   "kun",     "mutta",
      "myös",   "sitten", "tämä", "joka",  "kanssa", "jälkeen", "ennen",
      "meidän", "voi",    "niin", "vielä", "jo",     "nyt"}},
    {"no",
     {"Hvordan setter jeg opp {a} for {b}?",
      "Hvorfor feiler {a} etter oppdateringen av {b}?", "Hvem kan {a} og {b}?",
      "Problem med {a} i {b}", "{a} får tidsavbrudd mot {b}",
      "Beste måte å håndtere {a} med {b}?"},
     {"Veiledning: {a} og {b}", "Slik kjører vi {a}", "Erfaringer med {a}",
      "Sjekkliste for {a} i {b}"},
     {"Hei alle,", "Kjapt spørsmål:", "Hei, håper noen kan hjelpe.", "Hallo!"},
     {"Noen som vet hvordan man løser dette?", "Takk for tips!",
      "Hvem kan jeg spørre om dette?", "Har noen sett det samme?"},
     {"Det har vi sett før.", "Godt spørsmål!", "Dette er et vanlig problem.",
      "Dette pleier å løse det:"},
     {"Si fra hvis det ikke fungerer.", "Håper det hjelper.",
      "Jeg har skrevet en veiledning om dette på intranettet.", "Lykke til!"},
     {"Har du prøvd å starte på nytt?", "Spør kanskje brukerstøtte.",
      "Usikker, men sjekk wikien.",
      "Jeg er ingen ekspert, men slik gjorde vi det:"},
     {"Samme problem her.", "+1, vil også gjerne vite.", "Følger tråden.",
      "Har du sjekket wikien?", "Vi hadde det samme forrige måned."},
     {"Takk @{f}, det løste det!", "Perfekt, akkurat det jeg trengte.",
      "Takk, nå virker det!"},
     {"Kanskje @{f} vet?", "Jeg har hørt at @{f} kan dette.",
      "@{f}, har du peiling?"},
     {"og",  "at",  "det", "som",  "en", "på", "er",  "av",    "for", "med",
      "til", "den", "har", "ikke", "om", "vi", "når", "etter", "fra", "men"}},
    {"da",
     {"Hvordan sætter jeg {a} op til {b}?",
      "Hvorfor fejler {a} efter opdateringen af {b}?",
      "Hvem kender til {a} og {b}?", "Problem med {a} i {b}",
      "{a} giver timeout mod {b}", "Bedste måde at håndtere {a} med {b}?"},
     {"Vejledning: {a} og {b}", "Sådan kører vi {a}", "Erfaringer med {a}",
      "Tjekliste for {a} i {b}"},
     {"Hej alle,", "Hurtigt spørgsmål:", "Hej, håber nogen kan hjælpe.",
      "Hejsa!"},
     {"Er der nogen der ved hvordan man løser det?", "Tak for tips!",
      "Hvem kan jeg spørge om det?", "Har nogen set det samme?"},
     {"Det har vi set før.", "Godt spørgsmål!",
      "Det er et almindeligt problem.", "Det her plejer at løse det:"},
     {"Sig til hvis det ikke virker.", "Håber det hjælper.",
      "Jeg har skrevet en vejledning om det på intranettet.", "Held og lykke!"},
     {"Har du prøvet at genstarte?", "Spørg måske supporten.",
      "Ikke sikker, men tjek wikien.",
      "Jeg er ingen ekspert, men sådan gjorde vi:"},
     {"Samme problem her.", "+1, vil også gerne vide det.", "Følger tråden.",
      "Har du tjekket wikien?", "Vi havde det samme sidste måned."},
     {"Tak @{f}, det løste det!", "Perfekt, præcis hvad jeg havde brug for.",
      "Tak, nu virker det!"},
     {"Måske ved @{f} det?", "Jeg har hørt at @{f} kan det her.",
      "@{f}, har du en idé?"},
     {"og",  "at",  "det", "som",  "en", "på", "er",  "af",    "for", "med",
      "til", "den", "har", "ikke", "om", "vi", "når", "efter", "fra", "men"}},
}};

// Syllables of the pseudo-words that stand for a topic's jargon (product
// names, error codes, in-house terms): language-neutral, like real jargon.
inline constexpr std::array<std::string_view, 48> kSyllables = {
    "ka",  "vel", "tor", "min", "sa",  "lo",  "bex", "dun", "fi",  "rak",
    "ten", "ul",  "gor", "pen", "sto", "va",  "nik", "lar", "mo",  "tes",
    "bri", "kal", "sen", "dri", "om",  "hul", "ze",  "ply", "qua", "rin",
    "jo",  "mek", "tas", "vor", "ig",  "pal", "nox", "ser", "ub",  "dax",
    "ef",  "gri", "hap", "lum", "ost", "rev", "wik", "yl"};

}  // namespace whoknows::bench

#endif  // WHOKNOWS_BENCH_COMPANY_TEXT_H_
