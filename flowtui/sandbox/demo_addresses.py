"""Demo addresses: one to three per demo customer, in a dozen countries, written the way each
country writes them (house number first or after the street, its postcode shape, its phone
format), with the demo ``addresses`` core flow's ``gate_code`` and ``delivery_window``.

Deterministic: the same random generator state and the same customers give the same
addresses, ids included. Drawn from their own generator, so adding them left every other demo
value (ids, names, times) as it was.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from flowtui.sandbox.addresses import AddressRecord

T = TypeVar("T")

#: The delivery windows a demo address may ask for (the field's enum).
DELIVERY_WINDOWS = ("morning", "afternoon", "evening")

ADDRESS_FIELDS: list[dict[str, Any]] = [
    {
        "name": "Gate code",
        "slug": "gate_code",
        "field_type": "string",
        "description": "The code of the gate or front door, for the courier",
        "validation_rules": [],
        "default": None,
    },
    {
        "name": "Delivery window",
        "slug": "delivery_window",
        "field_type": "string",
        "description": "When deliveries are welcome at this address",
        "validation_rules": [{"type": "enum", "options": list(DELIVERY_WINDOWS)}],
        "default": None,
    },
]


class Country(NamedTuple):
    code: str
    #: (city, region, county, postcode pattern: ``#`` a digit, ``@`` a capital letter)
    places: tuple[tuple[str, str, str, str], ...]
    streets: tuple[str, ...]
    number_first: bool
    phone: str  # ``#`` a digit


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        (
            ("Pawnee", "IN", "Wamapoke County", "47###"),
            ("Eagleton", "IN", "Wamapoke County", "46###"),
            ("Portland", "OR", "Multnomah County", "972##"),
            ("Austin", "TX", "Travis County", "787##"),
            ("Brooklyn", "NY", "Kings County", "112##"),
        ),
        ("Main Street", "Elm Street", "Oak Avenue", "Maple Drive", "Lakeshore Blvd"),
        True,
        "(###) ###-####",
    ),
    Country(
        "GB",
        (
            ("London", "England", "Greater London", "SE# #@@"),
            ("Manchester", "England", "Greater Manchester", "M# #@@"),
            ("Edinburgh", "Scotland", "City of Edinburgh", "EH# #@@"),
            ("Sunny Town", "England", "Sunnyville", "SU## #@@"),
        ),
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "Sunny Street"),
        True,
        "+44 20 #### ####",
    ),
    Country(
        "DE",
        (
            ("Berlin", "Berlin", "", "10###"),
            ("München", "Bayern", "Oberbayern", "80###"),
            ("Hamburg", "Hamburg", "", "20###"),
        ),
        ("Hauptstraße", "Schillerstraße", "Goethestraße", "Bahnhofstraße", "Lindenallee"),
        False,
        "+49 30 ########",
    ),
    Country(
        "FR",
        (
            ("Paris", "Île-de-France", "Paris", "750##"),
            ("Lyon", "Auvergne-Rhône-Alpes", "Rhône", "6900#"),
        ),
        ("rue de Rivoli", "avenue Victor Hugo", "rue de la République", "boulevard Voltaire"),
        True,
        "+33 1 ## ## ## ##",
    ),
    Country(
        "CA",
        (
            ("Toronto", "ON", "", "M@# #@#"),
            ("Montréal", "QC", "", "H@# #@#"),
        ),
        ("Queen Street West", "rue Saint-Denis", "King Street East", "Bloor Street West"),
        True,
        "+1 (416) ###-####",
    ),
    Country(
        "AU",
        (
            ("Sydney", "NSW", "", "20##"),
            ("Melbourne", "VIC", "", "30##"),
        ),
        ("George Street", "Collins Street", "Pitt Street", "Flinders Lane"),
        True,
        "+61 2 #### ####",
    ),
    Country(
        "JP",
        (("Tokyo", "Tokyo", "", "1##-####"), ("Osaka", "Osaka", "", "5##-####")),
        ("Shibuya", "Shinjuku", "Meguro", "Setagaya"),
        True,
        "+81 3-####-####",
    ),
    Country(
        "NL",
        (("Amsterdam", "Noord-Holland", "", "10## @@"), ("Utrecht", "Utrecht", "", "35## @@")),
        ("Prinsengracht", "Keizersgracht", "Herengracht", "Damrak"),
        False,
        "+31 20 ### ####",
    ),
    Country(
        "IE",
        (
            ("Dublin", "Leinster", "County Dublin", "D0# @#@#"),
            ("Cork", "Munster", "County Cork", "T12 @#@#"),
        ),
        ("O'Connell Street", "Grafton Street", "Baggot Street"),
        True,
        "+353 1 ### ####",
    ),
    Country(
        "ES",
        (
            ("Madrid", "Comunidad de Madrid", "", "280##"),
            ("Sevilla", "Andalucía", "Sevilla", "410##"),
        ),
        ("Calle de Alcalá", "Gran Vía", "Calle Mayor"),
        False,
        "+34 91 ### ## ##",
    ),
    Country(
        "SE",
        (
            ("Stockholm", "", "Stockholms län", "1## ##"),
            ("Göteborg", "", "Västra Götalands län", "41# ##"),
        ),
        ("Drottninggatan", "Götgatan", "Sveavägen"),
        False,
        "+46 8 ### ### ##",
    ),
    Country(
        "NG",
        (("Lagos", "Lagos", "", "1000##"), ("Abuja", "FCT", "", "9000##")),
        ("Awolowo Road", "Adeola Odeku Street", "Ahmadu Bello Way"),
        True,
        "+234 1 ### ####",
    ),
)
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: How often each country comes up: most customers are local, some abroad.
COUNTRY_WEIGHTS = (40, 14, 8, 6, 6, 5, 4, 4, 4, 3, 3, 3)

#: The labels of a customer's first, second and third address.
LABELS = (("Home",), ("Work", "Office", "Parents"), ("Cabin", "Holiday flat", "Mum's", "Gym"))
COMPANIES = (
    "Pawnee Parks and Recreation",
    "Very Good Building Company",
    "Sweetums",
    "Entertainment 720",
    "Gryzzl",
    "Paunch Burger",
    "Ron Swanson Enterprises",
)
SECOND_LINES = ("Apt 4B", "Unit 101", "Flat 3", "Suite 200", "2nd floor", "Building C")
INSTRUCTIONS = (
    "Leave behind bin",
    "Ring twice; the bell is broken",
    "Leave with the neighbour at number 12",
    "Deliver to reception",
    "Do NOT leave in a government building",
    "Side door, behind the waffle stand",
)


def _fill(pattern: str, rng: random.Random) -> str:
    """``pattern`` with each ``#`` a random digit and each ``@`` a random capital letter.

    One draw of 128 bits serves the whole pattern (a dozen symbols at most): a draw per symbol
    made this the slowest part of seeding."""
    bits = rng.getrandbits(128)
    out = []
    for char in pattern:
        if char == "#":
            bits, digit = divmod(bits, 10)
            out.append(_DIGITS[digit])
        elif char == "@":
            bits, letter = divmod(bits, 26)
            out.append(_LETTERS[letter])
        else:
            out.append(char)
    return "".join(out)


_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


def _uuid4(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))`` in a fifth of the time (seeding makes one per
    address)."""
    h = f"{(bits & _VERSION_MASK) | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _stamp(moment: dt.datetime) -> str:
    """A whole-second naive UTC datetime as the API writes it (``...T03:04:05.000Z``); a
    faster :func:`~flowtui.sandbox.query.format_timestamp` for these (years 1000 to 9999)."""
    return f"{moment.isoformat()}.000Z"


def demo_addresses(
    rng: random.Random, field_ids: dict[str, str]
) -> Callable[[str, str, str], list[AddressRecord]]:
    """A maker of demo addresses: ``make(customer_id, name, created_at)`` gives that
    customer's one to three addresses, each created within 20 days after the one before.

    ``field_ids`` are the ids of the ``addresses`` flow's fields by slug; custom values are
    stored under them.
    """
    gate, window = field_ids["gate_code"], field_ids["delivery_window"]
    # rng.random() and arithmetic rather than choice()/randrange(): about three times faster,
    # which keeps seeding 10,000 customers' addresses in a fraction of a second.
    r = rng.random
    country_weights = list(itertools.accumulate(COUNTRY_WEIGHTS))
    count_weights = (50, 85, 100)

    def pick(options: Sequence[T]) -> T:
        return options[int(r() * len(options))]

    def make(customer_id: str, name: str, created_at: str) -> list[AddressRecord]:
        first, _, last = name.partition(" ")
        stamp = dt.datetime.fromisoformat(created_at.rstrip("Z"))
        home = COUNTRIES[bisect.bisect(country_weights, r() * country_weights[-1])]
        count = bisect.bisect(count_weights, r() * 100) + 1
        out: list[AddressRecord] = []
        for i in range(count):
            country = home if r() < 0.8 else pick(COUNTRIES)
            city, region, county, postcode = pick(country.places)
            street, number = pick(country.streets), int(r() * 239) + 1
            if country.code == "JP":
                line_1 = f"{int(r() * 5) + 1}-{int(r() * 29) + 1}-{number} {street}"
            elif country.number_first:
                line_1 = f"{number} {street}"
            else:
                line_1 = f"{street} {number}"
            label = pick(LABELS[i])
            attrs = {
                "name": label,
                "first_name": first,
                "last_name": last,
                "company_name": pick(COMPANIES) if label in ("Work", "Office") else "",
                "line_1": line_1,
                "line_2": pick(SECOND_LINES) if r() < 0.3 else "",
                "city": city,
                "county": county,
                "region": region,
                "postcode": _fill(postcode, rng),
                "country": country.code,
                "phone_number": _fill(country.phone, rng) if r() < 0.6 else "",
                "instructions": pick(INSTRUCTIONS) if r() < 0.25 else "",
            }
            custom: dict[str, Any] = {}
            if r() < 0.25:
                custom[gate] = f"{int(r() * 10000):04d}#"
            if r() < 0.5:
                custom[window] = pick(DELIVERY_WINDOWS)
            stamp += dt.timedelta(seconds=60 + int(r() * 20 * 86400))
            updated = stamp + dt.timedelta(seconds=int(r() * 30 * 86400))
            address_id = _uuid4(rng.getrandbits(128))
            out.append((address_id, customer_id, attrs, custom, _stamp(stamp), _stamp(updated)))
        return out

    return make
