"""Demo data for `manage.py seed_demo`: a Swedish region modelled on Region Gotland.

Everything is planned in memory from one seeded random generator and written with
bulk_create in batches (no per-row saves, no history rows), so scale 100 (≈10 000 placements,
50 000 participants) stays fast. The category lists come from the data migrations
(organisations 0002, participants 0003); this module only reads them.

The plan keeps the product's invariant with the product's own rule (placements.selectors.has_room, the
arithmetic of the assignment services): an assignment that takes a place (requested, confirmed, ongoing,
completed) is planned only where the placement has room for its whole period, so confirmed + ongoing
assignments never overlap beyond the capacity.

This is its own app, `demo`, the topmost layer: it may import every other app and none imports it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
import secrets
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError
from django.test.utils import override_settings
from django.utils import timezone

from core.bulkcopy import analyze, copy_insert
from core.dates import add_months
from core.models import Gender, Role, User
from organisations.models import (
    Adaptation,
    Agency,
    AgencyMembership,
    AgencyProgramme,
    ManagerScope,
    OccupationalArea,
    Organisation,
    Project,
    ProjectGroupMember,
    ProjectPartner,
    Supervisor,
    Unit,
)
from participants.models import (
    Activity,
    Assessment,
    Competence,
    Exit,
    ExitKind,
    ExitReason,
    FollowUp,
    FollowUp6Months,
    FollowUp90,
    Participant,
    PlanStep,
    Referral,
    SupportKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyStatement,
    WaitingPeriod,
)
from participants.services import (
    participants_count_change,
    participants_refresh_latest_referral,
    waiting_periods_delete,
    waiting_periods_refresh,
)
from placements.models import Assignment, Placement
from placements.selectors import has_room
from placements.services import organisation_totals_changed, placements_count_change, placements_refresh_idle

BATCH_SIZE = 2000
MIN_SCALE = 0.1
MAX_SCALE = 1000  # national scale: about 100,000 placements and 500,000 participants
PROJECT_SLUG = "sjalvklart"
DEMO_EMAIL_DOMAIN = "demo.test"
PLACEMENT_CODE_PREFIX = "DEMO-"


class DemoDataError(Exception):
    """The demo cannot be built (already present, categories missing, reset blocked)."""


# --- Fixed accounts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    key: str
    email: str
    first_name: str
    last_name: str
    role: str
    description: str


DEMO_ACCOUNTS = (
    DemoAccount("leader", "ledare@demo.test", "Karin", "Lindqvist", Role.LEADER,
                "projektledare, administratör"),
    DemoAccount("chef", "chef@demo.test", "Johan", "Ekström", Role.MANAGER,
                "chef, Region Gotland – Hälso- och sjukvårdsförvaltningen"),
    DemoAccount("chef2", "chef2@demo.test", "Sara", "Norberg", Role.MANAGER, "chef, Norrvik kommun"),
    DemoAccount("af", "af@demo.test", "Emma", "Larsson", Role.CASE_WORKER, "handläggare, Arbetsförmedlingen"),
    DemoAccount("fk", "fk@demo.test", "Peter", "Hansson", Role.CASE_WORKER, "handläggare, Försäkringskassan"),
    DemoAccount("ifo", "ifo@demo.test", "Amira", "Haddad", Role.CASE_WORKER,
                "handläggare, Individ- och familjeomsorgen"),
    DemoAccount("styrgrupp", "styrgrupp@demo.test", "Gunnel", "Pettersson", Role.STEERING, "styrgruppsledamot"),
)
DEMO_EMAILS = tuple(a.email for a in DEMO_ACCOUNTS)

# --- Organisations ----------------------------------------------------------------------------

REGION = "Region Gotland"
HSF = "Hälso- och sjukvårdsförvaltningen"
SOF = "Socialförvaltningen"
MUNICIPALITY = "Norrvik kommun"
GOTLAND = "Gotland"

# Occupational area codes (organisations/migrations/0002_seed_categories.py).
ADM, BYGG, IT, SALJ, HANTV, REST, VARD, IND, DRIFT, KULT, NATUR, PED, SAN, LAGER, SOC = (
    "administration-ekonomi-juridik", "bygg-och-anlaggning", "data-it", "forsaljning-inkop-marknadsforing",
    "hantverk", "hotell-restaurang-storhushall", "halso-och-sjukvard", "industriell-tillverkning",
    "installation-drift-underhall", "kultur-media-design", "naturbruk", "pedagogik", "sanering-och-renhallning",
    "transport-distribution-lager", "yrken-med-social-inriktning",
)


@dataclass(frozen=True)
class OrgSpec:
    name: str
    kind: str
    employees: int
    # (unit name, locality, street address, occupational areas its placements are in)
    units: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    # (workplace kind, its areas) for the extra units added at larger scales
    unit_templates: tuple[tuple[str, tuple[str, ...]], ...]
    parent: str | None = None
    municipality: str = GOTLAND


K = Organisation.Kind
CORE_ORGANISATIONS = (
    OrgSpec(REGION, K.REGION, 0, (), ()),
    OrgSpec(HSF, K.REGION, 2100, (
        ("Visby lasarett, medicinavdelning 5", "Visby", "Lasarettsvägen 1", (VARD, SAN)),
        ("Visby lasarett, kök och restaurang", "Visby", "Lasarettsvägen 1", (REST,)),
        ("Visby lasarett, förråd och transport", "Visby", "Lasarettsvägen 1", (LAGER, DRIFT)),
        ("Hemse vårdcentral", "Hemse", "Ronevägen 4", (VARD, ADM)),
        ("Slite vårdcentral", "Slite", "Storgatan 11", (VARD, ADM)),
        ("Klintehamns vårdcentral", "Klintehamn", "Donnersgatan 3", (VARD, ADM)),
        ("Fårösunds vårdcentral", "Fårösund", "Fårösundsvägen 18", (VARD, SAN)),
        ("Roma vårdcentral", "Roma", "Kungsgårdsvägen 2", (VARD, ADM)),
    ), (("Vårdcentral", (VARD, ADM)), ("Vårdavdelning", (VARD, SAN)), ("Rehabenheten", (VARD,)),
        ("Folktandvården", (VARD, ADM)), ("Sjukhusförrådet", (LAGER,))), parent=REGION),
    OrgSpec(SOF, K.REGION, 1650, (
        ("Särskilt boende Hemse", "Hemse", "Storvägen 20", (SOC, REST, SAN)),
        ("Hemtjänst Slite", "Slite", "Hamngatan 2", (SOC,)),
        ("Daglig verksamhet Roma", "Roma", "Romavägen 7", (SOC, HANTV, NATUR)),
        ("Socialpsykiatrin, träffpunkt Visby", "Visby", "Adelsgatan 30", (SOC, REST)),
        ("Arbetsmarknadsenheten", "Visby", "Artillerigatan 4", (ADM, HANTV, NATUR, SALJ)),
        ("Vård- och omsorgsboende Klintehamn", "Klintehamn", "Varvsgatan 9", (SOC, REST, SAN)),
    ), (("Hemtjänst", (SOC,)), ("Särskilt boende", (SOC, REST, SAN)), ("Daglig verksamhet", (SOC, HANTV)),
        ("Gruppbostad", (SOC,)), ("Träffpunkt", (SOC, REST))), parent=REGION),
    OrgSpec("Utbildnings- och arbetslivsförvaltningen", K.REGION, 1150, (
        ("Hemse skola", "Hemse", "Skolgatan 3", (PED, SAN)),
        ("Slite skola", "Slite", "Lännaplan 1", (PED, REST)),
        ("Förskolan Klintehamn", "Klintehamn", "Solviksvägen 5", (PED,)),
        ("Gymnasieskolan Visby", "Visby", "Polhemsgatan 2", (PED, IT, DRIFT)),
        ("Skolrestaurangen Roma", "Roma", "Skolvägen 1", (REST,)),
        ("Vuxenutbildningen", "Visby", "Cramérgatan 3", (ADM, PED)),
    ), (("Förskola", (PED,)), ("Grundskola", (PED, SAN)), ("Skolrestaurang", (REST,)), ("Fritidshem", (PED,))),
        parent=REGION),
    OrgSpec("Regionstyrelseförvaltningen", K.REGION, 420, (
        ("Kundtjänst", "Visby", "Visborgsallén 19", (ADM,)),
        ("IT-avdelningen", "Visby", "Visborgsallén 19", (IT,)),
        ("Ekonomiavdelningen", "Visby", "Visborgsallén 19", (ADM,)),
        ("Internservice och post", "Visby", "Visborgsallén 19", (LAGER, SALJ)),
    ), (("Stabsenhet", (ADM,)), ("Servicecenter", (ADM, IT)), ("Arkivet", (ADM,))), parent=REGION),
    OrgSpec("Teknikförvaltningen", K.REGION, 300, (
        ("Återvinningscentral Slite", "Slite", "Kalkvägen 12", (SAN,)),
        ("Fastighetsavdelningen, driftenhet Roma", "Roma", "Kungsgårdsvägen 9", (DRIFT, BYGG)),
        ("Gatu- och parkavdelningen", "Visby", "Skarphällsgatan 3", (NATUR, BYGG)),
        ("Återvinningscentral Hemse", "Hemse", "Industrivägen 6", (SAN,)),
        ("Hamnservice Fårösund", "Fårösund", "Hamnplan 1", (DRIFT, LAGER)),
    ), (("Återvinningscentral", (SAN,)), ("Driftenhet", (DRIFT,)), ("Parkenhet", (NATUR,)),
        ("Verkstad", (DRIFT, HANTV))), parent=REGION),
    OrgSpec("Samhällsbyggnadsförvaltningen", K.REGION, 180, (
        ("Miljö- och hälsoskydd", "Visby", "Visborgsallén 19", (ADM, NATUR)),
        ("Bygglov och kart", "Visby", "Visborgsallén 19", (ADM, IT)),
    ), (("Handläggarenhet", (ADM,)), ("Kartenheten", (IT, ADM))), parent=REGION),
    OrgSpec("Kultur- och fritidsförvaltningen", K.REGION, 150, (
        ("Almedalsbiblioteket", "Visby", "Cramérgatan 5", (KULT,)),
        ("Hemse bibliotek", "Hemse", "Storvägen 14", (KULT,)),
        ("Simhallen Solberga", "Visby", "Solbergavägen 1", (SAN, PED)),
    ), (("Bibliotek", (KULT,)), ("Fritidsgård", (PED, KULT)), ("Idrottshall", (SAN, DRIFT))), parent=REGION),
    OrgSpec(MUNICIPALITY, K.MUNICIPALITY, 1450, (
        ("Kommunförrådet", "Norrvik", "Förrådsgatan 2", (LAGER, DRIFT)),
        ("Solgårdens äldreboende", "Norrvik", "Solvägen 10", (SOC, REST)),
        ("Norrviks skola", "Norrvik", "Skolbacken 1", (PED, REST)),
        ("Kommunhuset, reception", "Norrvik", "Torget 1", (ADM,)),
        ("Fritidsgården Ungdomens hus", "Norrvik", "Parkgatan 6", (PED, KULT)),
    ), (), municipality="Norrvik"),
    OrgSpec("Länsstyrelsen i Gotlands län", K.STATE_AGENCY, 190, (
        ("Kansliet", "Visby", "Visborgsallén 1", (ADM,)),
        ("Naturvårdsenheten", "Visby", "Visborgsallén 1", (NATUR, ADM)),
    ), ()),
    OrgSpec("Skatteverket", K.STATE_AGENCY, 95, (
        ("Servicekontoret Visby", "Visby", "Norra Hansegatan 2", (ADM,)),
    ), ()),
    OrgSpec("Polismyndigheten", K.STATE_AGENCY, 140, (
        ("Polisstationen Visby", "Visby", "Norra Hansegatan 2", (ADM,)),
        ("Fordonsenheten", "Visby", "Endrevägen 40", (DRIFT, LAGER)),
    ), ()),
    OrgSpec("Uppsala universitet, Campus Gotland", K.STATE_AGENCY, 220, (
        ("Campus Gotland, service", "Visby", "Cramérgatan 3", (ADM, DRIFT)),
        ("Campusbiblioteket", "Visby", "Cramérgatan 3", (KULT, ADM)),
    ), ()),
    OrgSpec("Föreningen Gotlandsgården", K.NON_PROFIT, 35, (
        ("Second hand Hemse", "Hemse", "Storvägen 25", (SALJ, HANTV)),
        ("Café Gården, Slite", "Slite", "Storgatan 3", (REST,)),
    ), ()),
    OrgSpec("Slite Bygg & Snickeri AB", K.COMPANY, 45, (
        ("Snickeriet", "Slite", "Industrigatan 8", (HANTV, IND)),
        ("Lagret", "Slite", "Industrigatan 8", (LAGER, BYGG)),
    ), ()),
)

GOTLAND_LOCALITIES = (
    ("Visby", 10), ("Hemse", 3), ("Slite", 3), ("Klintehamn", 2), ("Roma", 2), ("Fårösund", 2),
    ("Burgsvik", 1), ("Ljugarn", 1), ("Lärbro", 1), ("Vibble", 1), ("Dalhem", 1), ("Havdhem", 1),
)
STREETS = ("Storgatan", "Skolgatan", "Kyrkvägen", "Hamngatan", "Industrivägen", "Parkvägen", "Stationsvägen",
           "Torget", "Södra vägen", "Norra vägen")

_PLACE_PREFIXES = ("Ås", "Björk", "Gran", "Lind", "Sjö", "Ek", "Berg", "Hag", "Mal", "Ström", "Sand", "Rön",
                   "Al", "Bok", "Fur", "Hassel", "Lön", "Ask")
_PLACE_SUFFIXES = ("by", "vik", "hamn", "berga", "sund", "torp", "holm", "näs", "dal", "köping")
EXTRA_PLACE_NAMES = tuple(
    name for name in (p + s.lower() for s in _PLACE_SUFFIXES for p in _PLACE_PREFIXES) if name != "Norrvik"
)
EXTRA_STATE_AGENCIES = (
    "Trafikverket", "Lantmäteriet", "Kriminalvården", "Migrationsverket", "Tullverket", "Kustbevakningen",
    "Statens fastighetsverk", "Gotlands tingsrätt", "Naturvårdsverket", "Transportstyrelsen",
    "Statistiska centralbyrån", "Jordbruksverket", "SMHI", "Riksarkivet", "Myndigheten för samhällsskydd och beredskap",
    "Sjöfartsverket", "Livsmedelsverket", "Boverket", "Pensionsmyndigheten", "Skogsstyrelsen",
)
EXTRA_NON_PROFITS = tuple(f"Föreningen {p}gården" for p in _PLACE_PREFIXES)
EXTRA_COMPANIES = tuple(f"{p}{s} Service AB" for s in ("by", "vik", "dal") for p in _PLACE_PREFIXES)


def demo_organisation_names() -> set[str]:
    """Every organisation name the demo may create at any scale (used by --reset)."""
    return (
        {spec.name for spec in CORE_ORGANISATIONS}
        | {f"{name} kommun" for name in EXTRA_PLACE_NAMES}
        | set(EXTRA_STATE_AGENCIES) | set(EXTRA_NON_PROFITS) | set(EXTRA_COMPANIES)
    )


# Extra units of each kind of organisation (core ones without own templates use these too).
KIND_TEMPLATES = {
    K.REGION: (("Enhet", (ADM,)),),
    K.MUNICIPALITY: (("Äldreboende", (SOC, REST)), ("Hemtjänst", (SOC,)), ("Förskola", (PED,)),
                     ("Grundskola", (PED, SAN)), ("Kommunförråd", (LAGER,)), ("Skolrestaurang", (REST,)),
                     ("Bibliotek", (KULT,)), ("Fritidsgård", (PED, KULT)), ("Daglig verksamhet", (SOC, HANTV)),
                     ("Återvinningscentral", (SAN,)), ("Parkenhet", (NATUR,)), ("Fastighetsdrift", (DRIFT, BYGG))),
    K.STATE_AGENCY: (("Kontor", (ADM,)), ("Servicekontor", (ADM,)), ("Arkiv", (ADM,)), ("Förråd", (LAGER,)),
                     ("IT-enhet", (IT,)), ("Fastighetsenhet", (DRIFT,))),
    K.NON_PROFIT: (("Second hand", (SALJ, HANTV)), ("Café", (REST,)), ("Verkstad", (HANTV,)),
                   ("Träffpunkt", (SOC,))),
    K.COMPANY: (("Lager", (LAGER,)), ("Verkstad", (IND, HANTV)), ("Butik", (SALJ,)), ("Produktion", (IND,)),
                ("Bygg", (BYGG,))),
}

# --- Placement titles and tasks per occupational area ------------------------------------------

AREA_TITLES = {
    ADM: (("Administrativ assistent", "Sortera post, skanna och arkivera handlingar, enklare registrering."),
          ("Receptionsstöd", "Ta emot besökare, svara i telefon, hålla ordning i receptionen.")),
    BYGG: (("Byggmedhjälpare", "Bära material, städa bygget, enklare rivning och montering."),),
    IT: (("IT-support, första linjen", "Installera datorer, hjälpa användare, inventera utrustning."),),
    SALJ: (("Butiksmedarbetare", "Prismärka, fylla på varor, sköta kassan med stöd."),),
    HANTV: (("Snickeri och reparationer", "Enklare snickeri, renovera möbler, underhålla verktyg."),),
    REST: (("Köksbiträde", "Förbereda grönsaker, diska, duka och plocka undan."),
           ("Caféarbete", "Baka, servera, ta betalt och hålla rent i caféet.")),
    VARD: (("Vårdnära service", "Bädda, fylla på förråd, följa patienter till undersökningar."),
           ("Avdelningsassistent", "Beställa varor, sköta tvätt och hålla ordning på avdelningen.")),
    IND: (("Montering och produktion", "Montera detaljer, packa och kontrollera produkter."),),
    DRIFT: (("Fastighetsskötsel", "Byta lampor, enklare reparationer, snöskottning och tillsyn."),),
    KULT: (("Biblioteksassistent", "Ställa upp böcker, förbereda evenemang, hjälpa besökare."),),
    NATUR: (("Park och grönyta", "Klippa gräs, rensa rabatter, plantera och vattna."),
            ("Trädgårdsarbete", "Så, skörda och sköta växthus.")),
    PED: (("Elevassistent", "Stötta elever på lektioner och raster."),
          ("Förskolemedhjälpare", "Leka, läsa och hjälpa till vid måltider.")),
    SAN: (("Lokalvård", "Städa lokaler enligt schema, sortera avfall."),
          ("Återvinningscentral", "Hjälpa besökare att sortera, hålla ordning på området.")),
    LAGER: (("Förråd och lager", "Ta emot leveranser, plocka och packa beställningar."),
            ("Internpost och transport", "Dela ut internpost och varor i huset.")),
    SOC: (("Aktivitetsstöd på boende", "Ordna aktiviteter, promenera och umgås med de boende."),
          ("Stöd i daglig verksamhet", "Hjälpa till i verksamhetens arbetsuppgifter och aktiviteter.")),
}

FIRST_NAMES_F = ("Anna", "Maria", "Lena", "Sofia", "Elin", "Ida", "Sara", "Fatima", "Hanna", "Linnéa", "Emma",
                 "Malin", "Yasmin", "Ingrid", "Camilla", "Therese", "Aisha", "Johanna", "Nadia", "Karin")
FIRST_NAMES_M = ("Erik", "Lars", "Johan", "Mikael", "Anders", "Ahmed", "Per", "Oskar", "Mohammed", "Niklas",
                 "Björn", "David", "Jonas", "Ali", "Fredrik", "Stefan", "Kristoffer", "Hampus", "Omar", "Viktor")
FIRST_NAMES_X = ("Kim", "Robin", "Alex", "Charlie", "Sam")
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
              "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hedström", "Lindgren", "Engström", "Hägg",
              "Ahmed", "Hassan", "Ali", "Mohammadi", "Lindqvist", "Norrby", "Rosvall", "Wallin", "Bergström")

OBSTACLES = ("Lång tid utan arbete", "Oro i nya sammanhang", "Nedsatt uthållighet", "Begränsad svenska",
             "Smärtproblematik", "Behöver tydlig struktur", "Saknar körkort")
RESOURCES = ("Noggrann och punktlig", "Tycker om att arbeta med händerna", "Social och hjälpsam",
             "Erfarenhet från restaurang", "Vill arbeta med människor", "Datorvan", "Gillar att vara utomhus")
PLAN_STEPS = ("Prova arbetsträning minst 50 %", "Öka tiden till 75 %", "Ta fram CV med stöd",
              "Besöka två arbetsgivare", "Söka utbildning till undersköterska", "Studiebesök på vuxenutbildningen")
COMPETENCES = (("Passar tider", "Kommer i tid och meddelar frånvaro."),
               ("Samarbete", "Fungerar väl i arbetslaget."),
               ("Följer instruktioner", "Tar till sig och följer muntliga och skriftliga instruktioner."),
               ("Kundbemötande", "Bemöter besökare vänligt och tydligt."),
               ("Hygienrutiner", "Följer rutiner för hygien i kök och vård."))
FOLLOWUP_NOTES = ("Trepartssamtal med handledare, fungerar bra.", "Deltagaren vill öka sin tid.",
                  "Diskuterat anpassningar av arbetsuppgifter.", "Avstämning: stabil närvaro.",
                  "Deltagaren trivs men är trött; behåller 50 %.")
DECLINE_REASONS = ("Handledaren är föräldraledig under perioden.", "Verksamheten har inte möjlighet just nu.",
                   "Arbetsuppgifterna passar inte deltagarens behov av lugn miljö.")

# --- Flow ---------------------------------------------------------------------------------------

WAITING, ASSESSED, REQUESTED, CONFIRMED, ONGOING, DONE, WITHDRAWN, EARLY_EXIT, PENDING_EXIT = (
    "waiting", "assessed", "requested", "confirmed", "ongoing", "done", "withdrawn", "early_exit", "pending_exit",
)
STAGE_WEIGHTS = {
    WAITING: 7, ASSESSED: 6, REQUESTED: 3.5, CONFIRMED: 2.5, ONGOING: 20, DONE: 48, WITHDRAWN: 4,
    EARLY_EXIT: 6, PENDING_EXIT: 3,
}
BOOKED_STAGES = {REQUESTED, CONFIRMED, ONGOING, DONE, PENDING_EXIT}
# Longest planned period per agency programme, in months, and typical choices.
DURATION_CHOICES = {"af": (3, 4, 6, 6), "fk": (2, 3, 3), "ifo": (3, 6, 6, 9, 12)}
AGENCY_WEIGHTS = {"af": 45, "fk": 25, "ifo": 30}
SUPPORT_BY_AGENCY = {
    "af": (("a-kassa", 3), ("aktivitetsstöd", 5), ("etableringsersättning", 2), ("ingen", 1),
           ("försörjningsstöd", 2), ("annan", 1)),
    "fk": (("sjukpenning", 6), ("aktivitetsersättning", 3), ("sjukersättning", 2)),
    "ifo": (("försörjningsstöd", 8), ("ingen", 1), ("annan", 1)),
}
EDUCATION_LEVELS = (("isced_0_2", 4), ("isced_3_4", 5), ("isced_5_8", 2), ("", 1))
STATUS_BY_AGENCY = {
    "af": (("arbetslös", 4), ("långtidsarbetslös", 5), ("", 1)),
    "fk": (("inaktiv", 6), ("långtidsarbetslös", 2), ("sysselsatt", 1), ("", 1)),
    "ifo": (("långtidsarbetslös", 5), ("inaktiv", 3), ("arbetslös", 1), ("", 1)),
}
PLANNED_REASONS = (("arbete", 3), ("arbete-med-stod", 3), ("studier", 2), ("annan-insats", 3), ("ovrigt", 1))
INTERRUPTED_REASONS = (("sjukdom", 4), ("vard-eller-behandling", 2), ("flyttat", 1), ("ovrigt", 1),
                       ("annan-insats", 2), ("arbete", 1))
SURVEY_YES = {1: 0.97, 2: 0.86, 3: 0.9, 4: 0.84, 5: 0.82}


@dataclass
class Plan:
    """One referral (a start) and what happens to it."""

    participant: int
    agency: str
    stage: str
    referral_date: dt.date
    case_worker: User | None = None
    assessed_on: dt.date | None = None
    start: dt.date | None = None
    planned_end: dt.date | None = None
    end: dt.date | None = None
    placement: int | None = None  # index into the placement list
    pool: list[int] | None = None  # placements to try first
    exit_date: dt.date | None = None
    exit_kind: str | None = None
    exit_reason: str | None = None
    followup_done: bool | None = None
    survey: bool | None = None
    declined_first: bool = False
    forced: bool = False


@dataclass
class PlacementPlan:
    unit: Unit
    area: str
    capacity: int
    available_from: dt.date
    available_to: dt.date | None
    status: str
    supervisor: Supervisor | None
    bookable: bool = True
    booked: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    def take(self, start: dt.date, end: dt.date) -> bool:
        """Book [start, end] if the placement is available then and the product's capacity rule lets it."""
        if start < self.available_from or (self.available_to is not None and end > self.available_to):
            return False
        if not has_room(capacity=self.capacity, periods=self.booked, start=start, end=end):
            return False
        self.booked.append((start, end))
        return True


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _aware(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


def _months(months: int) -> int:
    return round(months * 30.4)


@contextmanager
def explicit_timestamps(model_classes):
    """Let bulk_create keep the created_at/updated_at we set (history-like demo dates) instead of now()."""
    saved = []
    for model in model_classes:
        for name in ("created_at", "updated_at"):
            f = model._meta.get_field(name)
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


TIMESTAMPED = (Organisation, Unit, Supervisor, Project, Placement, Assignment, Participant, Referral, Assessment,
               PlanStep, Competence, FollowUp, Exit, FollowUp90, FollowUp6Months, SurveyInvitation)


# --- Existing data: detect and reset -----------------------------------------------------------


def demo_data_present() -> bool:
    return (
        User.objects.filter(email__in=DEMO_EMAILS).exists()
        or Project.objects.filter(slug=PROJECT_SLUG).exists()
        or Organisation.objects.filter(name=REGION).exists()
    )


def reset_demo_data() -> None:
    """Delete what a previous seed_demo created: the Självklart project and everything below it,
    organisations with demo names (and their units, supervisors, placements), and the *@demo.test users.
    Category lists and other accounts stay."""
    names = demo_organisation_names()
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        try:
            org_ids = set(Organisation.objects.filter(name__in=names).values_list("pk", flat=True))
            demo_starts = Referral.objects.filter(project__slug=PROJECT_SLUG)
            # What stays but is tied to what goes, its stored values refreshed at the end: another project's starts
            # with assignments at demo placements (their waiting periods), placements elsewhere with assignments of
            # demo starts (their idle values), people with a start in another project too (their latest referral).
            other_starts = set(Assignment.objects.filter(placement__unit__organisation__in=org_ids)
                               .exclude(referral__project__slug=PROJECT_SLUG).values_list("referral_id", flat=True))
            other_placements = set(Assignment.objects.filter(referral__project__slug=PROJECT_SLUG)
                                   .exclude(placement__unit__organisation__in=org_ids)
                                   .values_list("placement_id", flat=True))
            elsewhere = Referral.objects.exclude(project__slug=PROJECT_SLUG).values("participant_id")
            other_people = set(demo_starts.filter(participant__in=elsewhere).values_list("participant_id", flat=True))
            # The demo starts' stored waiting periods first, with the counts they add (participants.services).
            waiting_periods_delete(referrals=demo_starts)
            # Participants with starts in the demo project only (subqueries: no huge IN lists on SQLite).
            _deleted, by_model = Participant.objects.filter(
                pk__in=Referral.objects.filter(project__slug=PROJECT_SLUG).values("participant_id")
            ).exclude(pk__in=elsewhere).delete()
            participants_count_change(-by_model.get(Participant._meta.label, 0))  # the stored number follows
            Referral.objects.filter(project__slug=PROJECT_SLUG).delete()
            Assignment.objects.filter(placement__unit__organisation__in=org_ids).delete()
            _deleted, by_model = Placement.objects.filter(unit__organisation__in=org_ids).delete()
            placements_count_change(-by_model.get(Placement._meta.label, 0))  # the stored number follows
            Supervisor.objects.filter(organisation__in=org_ids).delete()
            Unit.objects.filter(organisation__in=org_ids).delete()
            Project.objects.filter(slug=PROJECT_SLUG).delete()
            while org_ids:  # children before parents (parent is PROTECT)
                leaves = set(
                    Organisation.objects.filter(pk__in=org_ids)
                    .exclude(children__isnull=False).values_list("pk", flat=True)
                )
                if not leaves:
                    break
                Organisation.objects.filter(pk__in=leaves).delete()
                org_ids -= leaves
            User.objects.filter(email__iendswith="@" + DEMO_EMAIL_DOMAIN).delete()
            waiting_periods_refresh(referral_ids=other_starts)
            placements_refresh_idle(placement_ids=other_placements)
            participants_refresh_latest_referral(participant_ids=other_people)
            organisation_totals_changed()
        except ProtectedError as exc:
            raise DemoDataError(
                "Demodata kunde inte tas bort eftersom andra uppgifter pekar på dem: "
                f"{sorted({str(o) for o in exc.protected_objects})[:5]}"
            ) from exc


# --- The builder -------------------------------------------------------------------------------


@dataclass
class DemoResult:
    counts: dict[str, int]
    seconds: float
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS


class DemoBuilder:
    def __init__(self, *, scale: float = 1, seed: int = 2026, today: dt.date | None = None):
        if not (MIN_SCALE <= scale <= MAX_SCALE):
            raise DemoDataError(f"--scale måste vara mellan {MIN_SCALE} och {MAX_SCALE}.")
        self.scale = scale
        self.rng = random.Random(seed)
        # The ESF+/Finsam fields draw from their own generator, so adding them left every other figure as it was.
        self.esf_rng = random.Random(seed * 7 + 1)
        self.today = today or timezone.localdate()
        # Referrals over the last ~14 months; the project started a month before the first.
        self.first_referral = self.today - dt.timedelta(days=425)
        self.project_start = (self.first_referral - dt.timedelta(days=31)).replace(day=1)
        self.counts: Counter[str] = Counter()
        self.written: set = set()  # models filled here, analyzed at the end

    # -- helpers
    def _bulk(self, model, objs):
        copy_insert(model, objs, batch_size=BATCH_SIZE)  # COPY on PostgreSQL, bulk_create elsewhere
        self.written.add(model)
        self.counts[model._meta.label] += len(objs)
        return objs

    def _day(self, lo: dt.date, hi: dt.date) -> dt.date:
        if hi <= lo:
            return lo
        return lo + dt.timedelta(days=self.rng.randint(0, (hi - lo).days))

    def _person(self, gender: str | None = None) -> tuple[str, str, str]:
        rng = self.rng
        gender = gender or _weighted(rng, ((Gender.WOMAN, 52), (Gender.MAN, 45), (Gender.NON_BINARY, 3)))
        firsts = {Gender.WOMAN: FIRST_NAMES_F, Gender.MAN: FIRST_NAMES_M}.get(gender, FIRST_NAMES_X)
        return rng.choice(firsts), rng.choice(LAST_NAMES), gender

    def _load_categories(self) -> None:
        self.areas = {a.code: a for a in OccupationalArea.objects.all()}
        self.adaptations = list(Adaptation.objects.all())
        self.agencies = {a.code: a for a in Agency.objects.all()}
        self.programmes = {}
        for programme in AgencyProgramme.objects.select_related("agency").order_by("pk"):
            self.programmes.setdefault(programme.agency.code, programme)  # the seeded one, if more were added
        self.support = {s.code: s for s in SupportKind.objects.all()}
        self.activities = {a.code: a for a in Activity.objects.all()}
        self.reasons = {r.code: r for r in ExitReason.objects.all()}
        self.statements = list(SurveyStatement.objects.filter(active=True))
        missing = (
            {code for code in AREA_TITLES if code not in self.areas}
            | {c for c in ("af", "fk", "ifo") if c not in self.agencies or c not in self.programmes}
            | {c for c in ("arbete", "studier", "arbetssökande", "annat") if c not in self.activities}
            | {c for c, _ in PLANNED_REASONS + INTERRUPTED_REASONS if c not in self.reasons}
            | {c for pairs in SUPPORT_BY_AGENCY.values() for c, _ in pairs if c not in self.support}
        )
        if missing or len(self.statements) < 5 or not self.adaptations:
            raise DemoDataError(
                "Kategorilistorna saknas eller är ofullständiga (kör `manage.py migrate`): "
                + ", ".join(sorted(missing))
            )

    # -- entry point
    def build(self) -> DemoResult:
        started = time.perf_counter()
        self._load_categories()
        with transaction.atomic(), explicit_timestamps(TIMESTAMPED):
            self._users()
            self._organisations()
            self._placements()
            self._project()
            self._flow()
            organisation_totals_changed()  # written in bulk: no service replaced the cached totals' token
            analyze(list(self.written))
        return DemoResult(counts=dict(self.counts), seconds=time.perf_counter() - started)

    # -- accounts
    def _users(self) -> None:
        password = make_password(settings.DEMO_PASSWORD)  # hashed once: same password for every account
        joined = _aware(self.project_start)
        self.users = {}
        users = []
        for acc in DEMO_ACCOUNTS:
            user = User(email=acc.email, first_name=acc.first_name, last_name=acc.last_name, role=acc.role,
                        password=password, date_joined=joined,
                        is_staff=acc.role == Role.LEADER, is_superuser=acc.role == Role.LEADER)
            self.users[acc.key] = user
            users.append(user)
        # More case workers (without login) so referrals have realistic senders at larger scales.
        self.case_workers = {code: [self.users[code]] for code in ("af", "fk", "ifo")}
        extra_per_agency = 2 + int(self.scale // 5)
        for code in ("af", "fk", "ifo"):
            for n in range(1, extra_per_agency + 1):
                first, last, _ = self._person()
                user = User(email=f"handlaggare.{code}.{n}@{DEMO_EMAIL_DOMAIN}", first_name=first, last_name=last,
                            role=Role.CASE_WORKER, password=make_password(None), date_joined=joined)
                self.case_workers[code].append(user)
                users.append(user)
        self._bulk(User, users)
        self._bulk(EmailAddress, [EmailAddress(user=u, email=u.email, verified=True, primary=True)
                                  for u in self.users.values()])
        memberships = [AgencyMembership(user=u, agency=self.agencies[code], municipality=GOTLAND)
                       for code, workers in self.case_workers.items() for u in workers]
        self._bulk(AgencyMembership, memberships)

    # -- organisations, units, supervisors
    def _organisations(self) -> None:
        rng, scale = self.rng, self.scale
        specs = list(CORE_ORGANISATIONS)
        for name in EXTRA_PLACE_NAMES[: int(scale // 5)]:
            specs.append(OrgSpec(f"{name} kommun", K.MUNICIPALITY, rng.randint(600, 3000), (), (),
                                 municipality=name))
        n_small = int(scale // 10)
        for kind, pool, lo, hi in ((K.STATE_AGENCY, EXTRA_STATE_AGENCIES, 60, 400),
                                   (K.NON_PROFIT, EXTRA_NON_PROFITS, 10, 60),
                                   (K.COMPANY, EXTRA_COMPANIES, 20, 150)):
            for name in pool[:n_small]:
                specs.append(OrgSpec(name, kind, rng.randint(lo, hi), (), ()))
        self.org_specs = {s.name: s for s in specs}

        created = _aware(self.project_start - dt.timedelta(days=60))
        # A larger scale is a larger region: the employees grow with the placements (100 per scale), so the
        # share of places per employee, and each organisation against its target, stays that of scale 1.
        employee_scale = max(1.0, scale)
        orgs = {}
        for spec in specs:
            orgs[spec.name] = Organisation(
                name=spec.name, kind=spec.kind, employee_count=round(spec.employees * employee_scale) or None,
                created_at=created, updated_at=created,
            )
        # The Region's employees are counted on its förvaltningar; the Region itself has no own count.
        self._bulk(Organisation, [orgs[REGION]])
        for spec in specs:
            if spec.parent:
                orgs[spec.name].parent = orgs[spec.parent]
        self._bulk(Organisation, [o for name, o in orgs.items() if name != REGION])
        self.orgs = orgs

        # Units: the core ones, then more (weighted by employees) so that there are ~2.5 placements per unit.
        units: dict[str, list[Unit]] = defaultdict(list)
        names_used: dict[str, set[str]] = defaultdict(set)

        self.unit_areas: dict[int, tuple[str, ...]] = {}

        def add_unit(spec: OrgSpec, name: str, locality: str, address: str, areas: tuple[str, ...]) -> None:
            base, n = name, 2
            while name in names_used[spec.name]:
                name, n = f"{base} {n}", n + 1
            names_used[spec.name].add(name)
            unit = Unit(organisation=orgs[spec.name], name=name, municipality=spec.municipality, address=address,
                        created_at=created, updated_at=created)
            units[spec.name].append(unit)
            self.unit_areas[id(unit)] = areas

        for spec in specs:
            for name, locality, street, areas in spec.units:
                add_unit(spec, name, locality, f"{street}, {locality}", areas)
        hosts = [s for s in specs if s.employees]
        n_target = max(sum(len(s.units) for s in specs), round(self._n_placements() / 2.5))
        n_extra = n_target - sum(len(v) for v in units.values())
        weights = [s.employees for s in hosts]
        for spec in rng.choices(hosts, weights=weights, k=max(0, n_extra)):
            locality = _weighted(rng, GOTLAND_LOCALITIES) if spec.municipality == GOTLAND else spec.municipality
            template, areas = rng.choice(spec.unit_templates or KIND_TEMPLATES[spec.kind])
            add_unit(spec, f"{template} {locality}", locality,
                     f"{rng.choice(STREETS)} {rng.randint(1, 40)}, {locality}", areas)
        # Placements are spread over the hosts by the same weights, so a small host the draw above passed
        # over (likely at a large scale, with many hosts) still needs a unit to put them in.
        for spec in hosts:
            if not units[spec.name]:
                locality = spec.municipality
                template, areas = rng.choice(spec.unit_templates or KIND_TEMPLATES[spec.kind])
                add_unit(spec, f"{template} {locality}", locality, f"{rng.choice(STREETS)} 1, {locality}", areas)
        self._bulk(Unit, [u for us in units.values() for u in us])
        self.units = units

        # Supervisors: one or two per unit; about one in five has not done the supervisor training yet.
        supervisors: dict[int, list[Supervisor]] = defaultdict(list)
        all_sups = []
        for org_units in units.values():
            for unit in org_units:
                for _ in range(1 if rng.random() < 0.7 else 2):
                    first, last, _ = self._person()
                    trained = None
                    if rng.random() < 0.8:
                        trained = self._day(self.project_start - dt.timedelta(days=900), self.today)
                    sup = Supervisor(
                        organisation=unit.organisation, unit=unit, name=f"{first} {last}",
                        email=f"handledare.{len(all_sups) + 1}@{DEMO_EMAIL_DOMAIN}",
                        phone=f"0498-{rng.randint(200000, 299999)}", training_completed_on=trained,
                        created_at=created, updated_at=created,
                    )
                    supervisors[id(unit)].append(sup)
                    all_sups.append(sup)
        self._bulk(Supervisor, all_sups)
        self.supervisors = supervisors

        chef, chef2 = self.users["chef"], self.users["chef2"]
        self._bulk(ManagerScope, [ManagerScope(user=chef, organisation=orgs[HSF]),
                                  ManagerScope(user=chef2, organisation=orgs[MUNICIPALITY])])

    def _n_placements(self) -> int:
        return max(30, round(100 * self.scale))

    # -- placements
    def _new_placement(self, unit: Unit, *, area: str | None = None, capacity: int | None = None,
                       status: str = Placement.Status.OPEN, open_ended: bool = False,
                       supervisor: Supervisor | None | bool = True) -> PlacementPlan:
        rng = self.rng
        area = area or rng.choice(self.unit_areas[id(unit)])
        capacity = capacity or _weighted(rng, ((1, 3), (2, 4), (3, 2), (4, 1)))
        if open_ended or rng.random() < 0.6:
            available_from = self._day(self.project_start - dt.timedelta(days=120), self.project_start)
        else:
            available_from = self._day(self.project_start, self.today + dt.timedelta(days=30))
        available_to = None
        if status == Placement.Status.CLOSED:
            available_to = self._day(available_from + dt.timedelta(days=120),
                                     max(available_from + dt.timedelta(days=120), self.today - dt.timedelta(days=1)))
            if available_to >= self.today:
                status = Placement.Status.OPEN
                available_to = None
        elif not open_ended and rng.random() < 0.2:
            available_to = self._day(self.today + dt.timedelta(days=60), self.today + dt.timedelta(days=400))
        if supervisor is True:
            candidates = self.supervisors[id(unit)]
            supervisor = rng.choice(candidates) if candidates and rng.random() < 0.95 else None
        pp = PlacementPlan(unit=unit, area=area, capacity=capacity, available_from=available_from,
                           available_to=available_to, status=status, supervisor=supervisor or None)
        self.placement_plans.append(pp)
        return pp

    def _placements(self) -> None:
        rng = self.rng
        self.placement_plans: list[PlacementPlan] = []
        hsf_units = self.units[HSF]
        # Scenario placements in the chef's förvaltning (the demo's main flows).
        self.free_placements = [self._new_placement(hsf_units[i], area=VARD if i == 0 else REST, capacity=2,
                                                    open_ended=True) for i in (0, 1)]
        for pp in self.free_placements:
            pp.bookable = False  # left with free capacity for the demo
        self.request_placements = [self._new_placement(hsf_units[i], capacity=2, open_ended=True)
                                   for i in (3, 4, 5)]
        self.ongoing_placements = [self._new_placement(hsf_units[i], capacity=3, open_ended=True)
                                   for i in (2, 6)]
        untrained = Supervisor(organisation=self.orgs[HSF], unit=hsf_units[7], name="Mats Hedström",
                               email=f"handledare.otranad@{DEMO_EMAIL_DOMAIN}", phone="0498-268000",
                               created_at=_aware(self.today - dt.timedelta(days=40)),
                               updated_at=_aware(self.today - dt.timedelta(days=40)))
        self._bulk(Supervisor, [untrained])
        self.supervisors[id(hsf_units[7])].append(untrained)
        self.untrained_placement = self._new_placement(hsf_units[7], area=VARD, capacity=1, open_ended=True,
                                                       supervisor=untrained)
        chef2_units = self.units[MUNICIPALITY]
        self.municipality_placements = [
            self._new_placement(chef2_units[i], capacity=2, open_ended=True)
            for i in range(3)
        ]

        hosts = [s for s in self.org_specs.values() if s.employees]
        weights = [s.employees for s in hosts]
        for spec in rng.choices(hosts, weights=weights, k=max(0, self._n_placements() - len(self.placement_plans))):
            status = _weighted(rng, ((Placement.Status.OPEN, 80), (Placement.Status.PAUSED, 8),
                                     (Placement.Status.CLOSED, 12)))
            self._new_placement(rng.choice(self.units[spec.name]), status=status)

    def _write_placements(self) -> None:
        rng = self.rng
        leader = self.users["leader"]
        manager_of = {self.orgs[HSF].pk: self.users["chef"], self.orgs[MUNICIPALITY].pk: self.users["chef2"]}
        objs = []
        for n, pp in enumerate(self.placement_plans, start=1):
            title, tasks = rng.choice(AREA_TITLES[pp.area])
            created = _aware(min(pp.available_from, self.today) - dt.timedelta(days=rng.randint(5, 30)))
            attester = manager_of.get(pp.unit.organisation_id, leader)
            objs.append(Placement(
                code=f"{PLACEMENT_CODE_PREFIX}{n:05d}", title=title, unit=pp.unit,
                occupational_area=self.areas[pp.area], tasks=tasks, capacity=pp.capacity, status=pp.status,
                available_from=pp.available_from, available_to=pp.available_to, supervisor=pp.supervisor,
                attested_no_displacement=True, attested_by=attester, attested_at=created, created_by=attester,
                closed_on=pp.available_to if pp.status == Placement.Status.CLOSED else None,
                created_at=created, updated_at=created,
            ))
        self._bulk(Placement, objs)
        placements_count_change(len(objs))
        self.placements = objs
        through = Placement.adaptations.through
        links = [through(placement_id=p.pk, adaptation_id=a.pk)
                 for p in objs for a in rng.sample(self.adaptations, rng.choice((0, 1, 1, 2, 3)))]
        self._bulk(through, links)

    # -- project
    def _project(self) -> None:
        start = self.project_start
        end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
        elapsed = (self.today - start).days / (end - start).days
        created = _aware(start - dt.timedelta(days=30))
        project = Project(
            slug=PROJECT_SLUG, name="Självklart", owner=self.orgs[SOF],
            funder="Samordningsförbundet Gotland (Finsam Gotland)", start_date=start, end_date=end,
            target_participants=max(60, round(900 * self.scale)), target_work_or_studies_percent=35,
            target_placements=max(30, round(180 * self.scale)), budget_total=9_600_000,
            budget_spent=round(9_600_000 * min(1.0, max(0.0, elapsed)) * 0.93),
            created_at=created, updated_at=created,
        )
        self._bulk(Project, [project])
        self.project = project
        P = ProjectPartner.PartnerRole
        self._bulk(ProjectPartner, [
            ProjectPartner(project=project, name="Region Gotland, Socialförvaltningen", role=P.OWNER,
                           contribution="Projektägare; projektledning, arbetsmarknadsenheten och IFO:s handläggare."),
            ProjectPartner(project=project, name="Samordningsförbundet Gotland (Finsam Gotland)", role=P.CO_FINANCIER,
                           contribution="Finansierar projektet.", co_financing_amount=9_600_000),
            ProjectPartner(project=project, name="Arbetsförmedlingen", role=P.PARTNER,
                           contribution="Anvisar deltagare; handläggare i projektets team 50 %."),
            ProjectPartner(project=project, name="Försäkringskassan", role=P.PARTNER,
                           contribution="Anvisar deltagare inom arbetslivsinriktad rehabilitering."),
            ProjectPartner(project=project, name="Region Gotland, Hälso- och sjukvårdsförvaltningen", role=P.PARTNER,
                           contribution="Erbjuder arbetsträningsplatser; rehabkoordinatorer."),
            ProjectPartner(project=project, name="Norrvik kommun", role=P.PARTNER,
                           contribution="Erbjuder arbetsträningsplatser i kommunens verksamheter."),
        ])
        G = ProjectGroupMember.Group
        W, M = Gender.WOMAN, Gender.MAN
        members = [
            (G.STEERING, "Gunnel Pettersson", "Region Gotland, Socialförvaltningen", "Ordförande, förvaltningschef", W,
             "styrgrupp@demo.test"),
            (G.STEERING, "Anders Wallin", "Arbetsförmedlingen", "Sektionschef", M, ""),
            (G.STEERING, "Maria Engström", "Försäkringskassan", "Enhetschef", W, ""),
            (G.STEERING, "Per Rosvall", "Region Gotland, Hälso- och sjukvårdsförvaltningen", "Verksamhetschef", M, ""),
            (G.STEERING, "Lena Bergström", "Samordningsförbundet Gotland", "Förbundschef", W, ""),
            (G.STEERING, "Omar Hassan", "Norrvik kommun", "Arbetsmarknadschef", M, ""),
            (G.REFERENCE, "Camilla Norrby", "Brukarorganisation, Funktionsrätt Gotland", "Representant", W, ""),
            (G.REFERENCE, "Stefan Gustafsson", "Fackförbundet Kommunal", "Ombudsman", M, ""),
            (G.REFERENCE, "Aisha Ali", "Region Gotland, HR", "HR-strateg", W, ""),
            (G.REFERENCE, "Kim Svensson", "Föreningen Gotlandsgården", "Verksamhetsledare", Gender.NON_BINARY, ""),
            (G.REFERENCE, "Björn Olsson", "Uppsala universitet, Campus Gotland", "Forskare", M, ""),
            (G.CONTACT, "Karin Lindqvist", "Region Gotland, Socialförvaltningen", "Projektledare", W,
             "ledare@demo.test"),
            (G.CONTACT, "David Karlsson", "Region Gotland, Socialförvaltningen", "Ekonom", M, ""),
        ]
        self._bulk(ProjectGroupMember, [
            ProjectGroupMember(project=project, group=g, name=n, represents=r, title=t, gender=gd, email=e)
            for g, n, r, t, gd, e in members
        ])

    # -- participants, referrals and everything after
    def _plan_dates(self, p: Plan) -> None:
        """Fill in the dates that fit the plan's stage (today = T, referrals from ~14 months ago)."""
        rng, T, S = self.rng, self.today, self.first_referral
        d = dt.timedelta
        months = rng.choice(DURATION_CHOICES[p.agency])
        duration = d(days=_months(months))
        wait = d(days=rng.randint(14, 75))
        stage = p.stage
        if stage == WAITING:
            p.referral_date = T - d(days=rng.randint(1, 45))
        elif stage == ASSESSED:
            p.referral_date = T - d(days=rng.randint(8, 80))
            p.assessed_on = self._day(p.referral_date + d(days=3), min(T, p.referral_date + d(days=21)))
        elif stage in (REQUESTED, CONFIRMED):
            p.referral_date = T - d(days=rng.randint(15, 90))
            p.assessed_on = self._day(p.referral_date + d(days=3), p.referral_date + d(days=12))
            p.start = T + d(days=rng.randint(5, 35) if stage == REQUESTED else rng.randint(2, 30))
            p.planned_end = p.start + duration
        elif stage == ONGOING:
            p.start = T - d(days=rng.randint(1, min(duration.days - 1, 200)))
            p.planned_end = p.start + duration
            p.referral_date = max(S, p.start - wait)
        elif stage in (DONE, PENDING_EXIT):
            if stage == DONE and p.exit_kind is None:
                p.exit_kind = _weighted(rng, ((ExitKind.AS_PLANNED, 72), (ExitKind.INTERRUPTED, 28)))
            actual = duration
            if p.exit_kind == ExitKind.INTERRUPTED:
                actual = d(days=rng.randint(10, max(11, duration.days - 10)))
            if stage == PENDING_EXIT:
                p.end = T - d(days=rng.randint(1, 6))
                actual = min(actual, p.end - (S + wait))
                p.start = p.end - actual
            else:
                latest_end = T - d(days=rng.randint(3, 12))
                actual = min(actual, latest_end - (S + wait) - d(days=1))
                p.start = self._day(S + wait, latest_end - actual)
                p.end = p.start + actual
                p.exit_date = min(T, p.end + d(days=rng.randint(0, 7)))
            p.planned_end = max(p.start + duration, p.end)
            p.referral_date = max(S, p.start - wait)
        elif stage == WITHDRAWN:
            p.start = self._day(S + wait, T - d(days=30))
            p.planned_end = p.start + duration
            p.referral_date = max(S, p.start - wait)
            p.exit_date = min(T, p.start + d(days=rng.randint(0, 20)))
            p.exit_kind = ExitKind.INTERRUPTED
            p.exit_reason = p.exit_reason or _weighted(rng, (("sjukdom", 3), ("vard-eller-behandling", 2),
                                                             ("flyttat", 1), ("ovrigt", 1)))
        elif stage == EARLY_EXIT:
            p.referral_date = self._day(S, T - d(days=20))
            p.exit_date = min(T, p.referral_date + d(days=rng.randint(10, 60)))
            if p.exit_kind is None:
                p.exit_kind = _weighted(rng, ((ExitKind.INTERRUPTED, 90), (ExitKind.REGISTERED_IN_ERROR, 10)))
        if p.start and p.assessed_on is None:
            p.assessed_on = self._day(p.referral_date + d(days=2), max(p.referral_date + d(days=2),
                                                                       p.start - d(days=3)))
        if p.exit_kind and p.exit_reason is None and p.exit_kind != ExitKind.REGISTERED_IN_ERROR:
            pairs = PLANNED_REASONS if p.exit_kind == ExitKind.AS_PLANNED else INTERRUPTED_REASONS
            p.exit_reason = _weighted(rng, pairs)

    def _book(self, p: Plan) -> bool:
        """Put the plan in a placement slot free for its whole period."""
        if p.stage not in BOOKED_STAGES:
            return True
        occupied_end = p.end if p.stage in (DONE, PENDING_EXIT) else p.planned_end
        future = p.stage in (REQUESTED, CONFIRMED)
        tries = list(p.pool or [])
        tries += [self.rng.randrange(len(self.placement_plans)) for _ in range(40)]
        for idx in tries:
            pp = self.placement_plans[idx]
            if not pp.bookable and idx not in (p.pool or []):
                continue
            if future and pp.status != Placement.Status.OPEN:
                continue
            if p.stage == ONGOING and pp.status == Placement.Status.CLOSED:
                continue
            if pp.take(p.start, occupied_end):
                p.placement = idx
                return True
        return False

    def _fallback(self, p: Plan) -> None:
        """No free placement was found: the referral waits (recent) or ended without a placement."""
        T, d = self.today, dt.timedelta
        self.counts["fallback"] += 1
        p.start = p.planned_end = p.end = None
        if p.stage in (REQUESTED, CONFIRMED) or (p.stage == ONGOING and (T - p.referral_date).days <= 150):
            p.stage = ASSESSED
            if p.assessed_on is None or p.assessed_on > T:
                p.assessed_on = self._day(p.referral_date + d(days=2), min(T, p.referral_date + d(days=20)))
            return
        p.stage = EARLY_EXIT
        p.exit_date = min(T, p.referral_date + d(days=self.rng.randint(30, 90)))
        if not p.forced:
            p.exit_kind, p.exit_reason = ExitKind.INTERRUPTED, "annan-insats"

    def _flow(self) -> None:
        rng, T = self.rng, self.today
        self._write_placements()
        idx_of = {id(pp): i for i, pp in enumerate(self.placement_plans)}
        n_participants = max(60, round(500 * self.scale))
        plans: list[Plan] = []
        next_participant = itertools.count()
        participant_flags: dict[int, str] = {}  # participant index -> forced identity

        def plan(stage, agency=None, pool=None, **kw) -> Plan:
            agency = agency or _weighted(rng, AGENCY_WEIGHTS.items())
            p = Plan(participant=kw.pop("participant", None), agency=agency, stage=stage,
                     referral_date=T, pool=[idx_of[id(pp)] for pp in pool] if pool else None, **kw)
            if p.participant is None:
                p.participant = next(next_participant)
            self._plan_dates(p)
            plans.append(p)
            return p

        af_user = self.users["af"]
        # Forced scenario: every stage, every exit kind and reason, the chef's pending requests.
        for _ in range(3):
            plan(WAITING, "af", case_worker=af_user, forced=True)
        for _ in range(2):
            plan(ASSESSED, "af", case_worker=af_user, forced=True)
        for pp in self.request_placements:
            plan(REQUESTED, "af", pool=[pp], case_worker=af_user, forced=True)
        plan(CONFIRMED, "fk", pool=self.ongoing_placements, case_worker=self.users["fk"], forced=True)
        for i, agency in enumerate(("af", "fk", "ifo")):
            plan(ONGOING, agency, pool=[self.ongoing_placements[i % 2]], case_worker=self.users[agency], forced=True)
        plan(ONGOING, "ifo", pool=self.municipality_placements, case_worker=self.users["ifo"], forced=True)
        plan(REQUESTED, "fk", pool=self.municipality_placements[1:], case_worker=self.users["fk"], forced=True)
        combos = ([(ExitKind.AS_PLANNED, r) for r, _ in PLANNED_REASONS]
                  + [(ExitKind.INTERRUPTED, r) for r, _ in INTERRUPTED_REASONS])
        for i, (kind, reason) in enumerate(combos):
            plan(DONE, exit_kind=kind, exit_reason=reason, forced=True,
                 followup_done=(i % 3 != 1), survey=(i % 2 == 0))
        plan(EARLY_EXIT, exit_kind=ExitKind.REGISTERED_IN_ERROR, forced=True)
        plan(WITHDRAWN, forced=True)
        plan(PENDING_EXIT, forced=True)
        for stage in (ONGOING, DONE):
            p = plan(stage, forced=True)
            participant_flags[p.participant] = Participant.Identity.ANONYMOUS
        p = plan(WAITING, forced=True)
        participant_flags[p.participant] = Participant.Identity.IDENTIFIED

        stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
        while len(plans) < n_participants:
            plan(rng.choices(stages, weights=weights)[0])

        # Book forced plans first so that the scenario never falls back.
        for p in sorted(plans, key=lambda p: not p.forced):
            if not self._book(p):
                self._fallback(p)

        # Re-enrolments: some who left come back with a new referral (same participant, a new start).
        earlier = [p for p in plans if p.exit_date and p.exit_kind != ExitKind.REGISTERED_IN_ERROR
                   and p.exit_date <= T - dt.timedelta(days=90)]
        rng.shuffle(earlier)
        for first in earlier[: max(3, round(0.03 * n_participants))]:
            second = Plan(participant=first.participant, agency=first.agency, stage=ONGOING,
                          referral_date=T, forced=True)
            second.referral_date = first.exit_date + dt.timedelta(days=rng.randint(20, 60))
            gap = (T - second.referral_date).days
            if gap < 30:
                second.stage = WAITING
            else:
                months = rng.choice(DURATION_CHOICES[first.agency])
                second.assessed_on = second.referral_date + dt.timedelta(days=rng.randint(2, 10))
                second.start = second.referral_date + dt.timedelta(days=rng.randint(14, min(gap - 1, 40)))
                second.planned_end = second.start + dt.timedelta(days=_months(months))
                if second.planned_end <= T:
                    second.planned_end = T + dt.timedelta(days=rng.randint(14, 60))
                if not self._book(second):
                    second.stage, second.start, second.planned_end = ASSESSED, None, None
            plans.append(second)

        # Declined requests before a confirmed placement (another placement said no).
        for p in plans:
            if p.placement is not None and p.stage != REQUESTED and rng.random() < 0.06:
                p.declined_first = True

        self._write_flow(plans, participant_flags)

    def _write_flow(self, plans: list[Plan], participant_flags: dict[int, str]) -> None:
        """Write the planned flow, one model group after the other (each step reads what the previous wrote)."""
        self._assign_case_workers(plans)
        participants = self._write_participants(plans, participant_flags)
        referrals = self._write_referrals(plans, participants)
        self._write_referral_choices(plans, referrals)
        self._write_assessments(plans, referrals)
        booked = self._write_assignments(plans, referrals)
        self._write_follow_ups_plans_and_competences(booked)
        exit_plans, exits = self._write_exits(plans, referrals)
        self._write_after_exit(exit_plans, exits)
        # The stored waiting periods of every start, from the definition (the services' own refresh).
        waiting_periods_refresh(referral_ids=[referral.pk for referral in referrals])
        self.written.add(WaitingPeriod)

    def _assign_case_workers(self, plans: list[Plan]) -> None:
        rng = self.rng
        for p in plans:
            if p.case_worker is None:
                workers = self.case_workers[p.agency]
                p.case_worker = workers[0] if rng.random() < 0.35 else rng.choice(workers)

    def _write_participants(self, plans: list[Plan], participant_flags: dict[int, str]) -> dict[int, Participant]:
        """One participant per person, created at the first referral."""
        rng = self.rng
        first_plan: dict[int, Plan] = {}
        latest: dict[int, dt.date] = {}
        for p in sorted(plans, key=lambda p: p.referral_date):
            first_plan.setdefault(p.participant, p)
            latest[p.participant] = p.referral_date  # the sort key participants_refresh_latest_referral keeps
        participants: dict[int, Participant] = {}
        Ident = Participant.Identity
        for idx, p in sorted(first_plan.items()):
            identity = participant_flags.get(idx) or _weighted(
                rng, ((Ident.PSEUDONYMOUS, 85), (Ident.IDENTIFIED, 12), (Ident.ANONYMOUS, 3)))
            first, last, gender = self._person()
            created = _aware(p.referral_date, 10)
            age = _weighted(rng, ((rng.randint(18, 29), 35), (rng.randint(30, 54), 50), (rng.randint(55, 64), 15)))
            kw = {}
            if identity == Ident.IDENTIFIED:
                kw = {"first_name": first, "last_name": last, "consent_recorded_at": created,
                      "consent_recorded_by": p.case_worker}
            participants[idx] = Participant(
                identity=identity, gender=gender,
                code=None if identity == Ident.ANONYMOUS else f"{p.agency.upper()}-{p.referral_date:%y}-{idx + 1:05d}",
                birth_year=None if identity == Ident.ANONYMOUS else p.referral_date.year - age,
                latest_referral_date=latest[idx], created_at=created, updated_at=created, **kw,
            )
        self._bulk(Participant, list(participants.values()))
        participants_count_change(len(participants))
        return participants

    def _write_referrals(self, plans: list[Plan], participants: dict[int, Participant]) -> list[Referral]:
        rng, T = self.rng, self.today
        referrals = []
        for p in plans:
            pp = self.placement_plans[p.placement] if p.placement is not None else None
            created = _aware(p.referral_date, 10)
            wished = pp.unit.municipality if pp else (GOTLAND if rng.random() < 0.85 else "Norrvik")
            support = _weighted(rng, SUPPORT_BY_AGENCY[p.agency])
            activity_before = _weighted(rng, (("arbetssökande", 6), ("annat", 3), ("studier", 1)))
            if support in ("sjukpenning", "sjukersättning", "aktivitetsersättning"):
                activity_before = "annat"
            referrals.append(Referral(
                participant=participants[p.participant], project=self.project, agency=self.agencies[p.agency],
                programme=self.programmes[p.agency], case_worker=p.case_worker, referral_date=p.referral_date,
                start_date=p.start if p.start and p.start <= T and p.stage != WITHDRAWN else None,
                support_before=self.support[support], activity_before=self.activities[activity_before],
                education_level=_weighted(self.esf_rng, EDUCATION_LEVELS),
                labour_market_status=_weighted(self.esf_rng, STATUS_BY_AGENCY[p.agency]),
                wished_municipality=wished, closed_on=p.exit_date, created_at=created, updated_at=created,
            ))
        self._bulk(Referral, referrals)
        return referrals

    def _write_referral_choices(self, plans: list[Plan], referrals: list[Referral]) -> None:
        """Each referral's occupational interests (incl. its placement's area) and adaptation needs."""
        rng = self.rng
        area_ids = [a.pk for a in self.areas.values()]
        interests, needs = [], []
        i_through, n_through = Referral.interests.through, Referral.adaptation_needs.through
        for p, ref in zip(plans, referrals, strict=True):
            chosen = set(rng.sample(area_ids, rng.randint(1, 3)))
            if p.placement is not None:
                chosen.add(self.areas[self.placement_plans[p.placement].area].pk)
            interests += [i_through(referral_id=ref.pk, occupationalarea_id=a) for a in sorted(chosen)]
            needs += [n_through(referral_id=ref.pk, adaptation_id=a.pk)
                      for a in rng.sample(self.adaptations, rng.choice((0, 0, 1, 1, 2)))]
        self._bulk(i_through, interests)
        self._bulk(n_through, needs)

    def _write_assessments(self, plans: list[Plan], referrals: list[Referral]) -> None:
        """Started for some waiting, completed from "assessed" on."""
        rng, T, d = self.rng, self.today, dt.timedelta
        assessments = []
        for p, ref in zip(plans, referrals, strict=True):
            if p.assessed_on is None and not (p.stage == WAITING and rng.random() < 0.4):
                continue
            created = _aware(min(T, p.referral_date + d(days=2)), 13)
            assessments.append(Assessment(
                referral=ref, obstacles=rng.choice(OBSTACLES), resources=rng.choice(RESOURCES),
                completed_on=p.assessed_on, created_at=created, updated_at=created,
            ))
        self._bulk(Assessment, assessments)

    def _write_assignments(self, plans: list[Plan], referrals: list[Referral]) -> list[tuple]:
        """The assignments (and declined requests before some of them); returns (plan, referral, assignment)."""
        rng, T, d = self.rng, self.today, dt.timedelta
        now = timezone.now()
        leader = self.users["leader"]
        manager_of = {self.orgs[HSF].pk: self.users["chef"], self.orgs[MUNICIPALITY].pk: self.users["chef2"]}
        S = Assignment.Status
        stage_status = {REQUESTED: S.REQUESTED, CONFIRMED: S.CONFIRMED, ONGOING: S.ONGOING, DONE: S.COMPLETED,
                        PENDING_EXIT: S.COMPLETED, WITHDRAWN: S.WITHDRAWN}
        assignments, pairs = [], []
        bookable = [i for i, pp in enumerate(self.placement_plans) if pp.bookable]
        for p, ref in zip(plans, referrals, strict=True):
            if p.stage not in stage_status or p.start is None:
                continue
            placement_idx = p.placement
            if p.stage == WITHDRAWN:
                placement_idx = rng.choice(bookable)
            placement = self.placements[placement_idx]
            pp = self.placement_plans[placement_idx]
            requested_at = _aware(max(p.referral_date, min(T, p.start - d(days=rng.randint(7, 30)))), 11)
            if p.declined_first:
                other = rng.choice(bookable)
                decider = manager_of.get(self.placements[other].unit.organisation_id, leader)
                assignments.append(Assignment(
                    placement=self.placements[other], referral=ref, status=S.DECLINED, start_date=p.start,
                    planned_end_date=p.planned_end, requested_by=p.case_worker, decided_by=decider,
                    decided_at=requested_at, decline_reason=rng.choice(DECLINE_REASONS),
                    created_at=requested_at - d(days=7), updated_at=requested_at,
                ))
            status = stage_status[p.stage]
            decided = status not in (S.REQUESTED, S.WITHDRAWN)
            decided_at = min(now, requested_at + d(days=rng.randint(1, 6))) if decided else None
            obj = Assignment(
                placement=placement, referral=ref, status=status, start_date=p.start, planned_end_date=p.planned_end,
                end_date=p.end if status == S.COMPLETED else None, supervisor=pp.supervisor,
                requested_by=p.case_worker,
                decided_by=manager_of.get(placement.unit.organisation_id, leader) if decided else None,
                decided_at=decided_at, created_at=requested_at, updated_at=decided_at or requested_at,
                withdrawn_on=(requested_at + d(days=rng.randint(1, 10))).date() if status == S.WITHDRAWN else None,
            )
            assignments.append(obj)
            pairs.append((p, ref, obj))
        self._bulk(Assignment, assignments)
        placements_refresh_idle(placement_ids=[placement.pk for placement in self.placements], on=T)
        return pairs

    def _write_follow_ups_plans_and_competences(self, pairs: list[tuple]) -> None:
        rng, T, d = self.rng, self.today, dt.timedelta
        follow_ups, steps, competences = [], [], []
        for p, ref, asg in pairs:
            if p.stage not in (ONGOING, DONE, PENDING_EXIT):
                continue
            last = min(T, p.end or T)
            met = p.start + d(days=14)
            for _ in range(3):
                if met > last:
                    break
                created = _aware(met, 14)
                follow_ups.append(FollowUp(referral=ref, assignment=asg, met_on=met, notes=rng.choice(FOLLOWUP_NOTES),
                                           author=p.case_worker, created_at=created, updated_at=created))
                met += d(days=30)
            if rng.random() < 0.5:
                for text in rng.sample(PLAN_STEPS, 2):
                    due = p.start + d(days=rng.randint(20, 90))
                    created = _aware(p.start, 15)
                    steps.append(PlanStep(referral=ref, description=text, due_on=due,
                                          done_on=due if due < T and rng.random() < 0.7 else None,
                                          created_at=created, updated_at=created))
            if p.stage == DONE and p.exit_kind == ExitKind.AS_PLANNED and rng.random() < 0.4:
                for name, description in rng.sample(COMPETENCES, 2):
                    created = _aware(p.end, 15)
                    competences.append(Competence(
                        referral=ref, name=name, description=description, validated_on=p.end,
                        validated_by=asg.supervisor.name if asg.supervisor else "",
                        created_at=created, updated_at=created,
                    ))
        self._bulk(FollowUp, follow_ups)
        self._bulk(PlanStep, steps)
        self._bulk(Competence, competences)

    def _write_exits(self, plans: list[Plan], referrals: list[Referral]) -> tuple[list[Plan], list[Exit]]:
        rng = self.rng
        leader = self.users["leader"]
        exits, exit_plans = [], []
        for p, ref in zip(plans, referrals, strict=True):
            if not p.exit_date:
                continue
            created = _aware(p.exit_date, 16)
            reason = self.reasons[p.exit_reason] if p.exit_reason else None
            activity = None
            if p.exit_kind != ExitKind.REGISTERED_IN_ERROR:
                activity = self.activities[_activity_for(rng, p.exit_reason)]
            support_after = None
            if p.exit_kind != ExitKind.REGISTERED_IN_ERROR:
                support_after = self.support[_support_after(self.esf_rng, p.exit_reason, ref.support_before.code)]
            exits.append(Exit(referral=ref, exit_date=p.exit_date, kind=p.exit_kind, reason=reason,
                              activity_after=activity, support_after=support_after, recorded_by=leader,
                              created_at=created, updated_at=created))
            exit_plans.append(p)
        self._bulk(Exit, exits)
        return exit_plans, exits

    def _write_after_exit(self, exit_plans: list[Plan], exits: list[Exit]) -> None:
        """90-day and 6-month follow-ups, survey invitations and their answers."""
        rng, T, d = self.rng, self.today, dt.timedelta
        followups90, followups6m, invitations, answers = [], [], [], []
        for p, ex in zip(exit_plans, exits, strict=True):
            if p.exit_kind == ExitKind.REGISTERED_IN_ERROR:
                continue
            due = p.exit_date + d(days=90)
            done = due <= T and (p.followup_done if p.followup_done is not None else rng.random() < 0.8)
            done_on = min(T, due + d(days=rng.randint(0, 14))) if done else None
            activity = self.activities[_activity_90(rng, p.exit_reason)] if done else None
            created = _aware(p.exit_date, 16)
            support_90 = (self.support[_support_after(self.esf_rng, activity.code, ex.support_after.code)]
                          if done else None)
            followups90.append(FollowUp90(exit=ex, due_on=due, done_on=done_on, activity=activity,
                                          support=support_90,
                                          reminder_sent_at=_aware(due, 8) if due <= T else None,
                                          created_at=created, updated_at=_aware(done_on, 12) if done_on else created))
            due_6m = add_months(p.exit_date, 6)
            done_6m = due_6m <= T and self.esf_rng.random() < 0.7
            done_6m_on = min(T, due_6m + d(days=self.esf_rng.randint(0, 21))) if done_6m else None
            activity_6m = None
            if done_6m:
                kept = activity is not None and activity.is_work_or_studies and self.esf_rng.random() < 0.85
                activity_6m = activity if kept else self.activities[
                    _weighted(self.esf_rng, (("arbete", 2), ("studier", 1), ("arbetssökande", 4), ("annat", 3)))]
            followups6m.append(FollowUp6Months(
                exit=ex, due_on=due_6m, done_on=done_6m_on, activity=activity_6m,
                support=(self.support[_support_after(self.esf_rng, activity_6m.code, ex.support_after.code)]
                         if done_6m else None),
                reminder_sent_at=_aware(due_6m, 8) if due_6m <= T else None,
                created_at=created, updated_at=_aware(done_6m_on, 12) if done_6m_on else created))
            if p.survey if p.survey is not None else rng.random() < 0.65:
                answered = None
                answered_on = p.exit_date + d(days=rng.randint(1, 20))
                if answered_on <= T and (p.survey or rng.random() < 0.7):
                    answered = _aware(answered_on, 19)
                token = secrets.token_urlsafe(32)
                invitations.append(SurveyInvitation(
                    exit=ex, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    expires_at=_aware(p.exit_date + d(days=30), 23), answered_at=answered,
                    created_at=created, updated_at=answered or created,
                ))
        self._bulk(FollowUp90, followups90)
        self._bulk(FollowUp6Months, followups6m)
        self._bulk(SurveyInvitation, invitations)
        for inv in invitations:
            if inv.answered_at:
                answers += [
                    SurveyAnswer(invitation=inv, statement=s, agrees=rng.random() < SURVEY_YES.get(s.number, 0.85))
                    for s in self.statements
                ]
        self._bulk(SurveyAnswer, answers)

def _activity_for(rng: random.Random, reason: str | None) -> str:
    """Sysselsättning at exit, consistent with the exit reason."""
    if reason in ("arbete", "arbete-med-stod"):
        return "arbete"
    if reason == "studier":
        return "studier"
    if reason in ("vard-eller-behandling", "sjukdom"):
        return "annat"
    return _weighted(rng, (("arbetssökande", 3), ("annat", 1)))


def _support_after(rng: random.Random, outcome: str | None, before: str) -> str:
    """Försörjning after exit: wages count as "ingen" (no benefit); otherwise mostly the support before."""
    if outcome in ("arbete", "arbete-med-stod"):
        return "ingen" if rng.random() < 0.8 else before
    if outcome == "studier":
        return _weighted(rng, (("ingen", 3), ("annan", 2), (before, 1)))
    return before if rng.random() < 0.85 else _weighted(rng, (("försörjningsstöd", 2), ("ingen", 1)))


def _activity_90(rng: random.Random, reason: str | None) -> str:
    """Sysselsättning 90 days after exit: mostly kept for those who left to work or studies."""
    at_exit = _activity_for(rng, reason)
    if at_exit in ("arbete", "studier") and rng.random() < 0.85:
        return at_exit
    return _weighted(rng, (("arbete", 2), ("studier", 1), ("arbetssökande", 4), ("annat", 3)))


def summary_lines(result: DemoResult) -> list[str]:
    labels = (
        ("organisations.Organisation", "organisationer"), ("organisations.Unit", "enheter"),
        ("organisations.Supervisor", "handledare"), ("placements.Placement", "arbetsträningsplatser"),
        ("participants.Participant", "deltagare"), ("participants.Referral", "starter"),
        ("placements.Assignment", "placeringar"), ("participants.Exit", "avslut"),
        ("participants.FollowUp90", "90-dagarsuppföljningar"),
        ("participants.FollowUp6Months", "6-månadersuppföljningar"), ("participants.SurveyAnswer", "enkätsvar"),
    )
    return [f"  {result.counts.get(label, 0):>7} {text}" for label, text in labels]

