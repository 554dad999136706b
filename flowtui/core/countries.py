"""ISO 3166-1 alpha-2 country codes with their English short names (all 249 entries of the
standard), and the search the country picker uses: by code or by name, as typed.

The data is written out here (no dependency): the English short names as ISO 3166-1 publishes
them (e.g. "Korea, Republic of"), with the common names people type as aliases
("South Korea"). No Textual import: the forms, the sandbox and the exports may all use it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: (alpha-2 code, English short name), ordered by code.
COUNTRIES: tuple[tuple[str, str], ...] = (
    ("AD", "Andorra"),
    ("AE", "United Arab Emirates"),
    ("AF", "Afghanistan"),
    ("AG", "Antigua and Barbuda"),
    ("AI", "Anguilla"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AQ", "Antarctica"),
    ("AR", "Argentina"),
    ("AS", "American Samoa"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AW", "Aruba"),
    ("AX", "Åland Islands"),
    ("AZ", "Azerbaijan"),
    ("BA", "Bosnia and Herzegovina"),
    ("BB", "Barbados"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BF", "Burkina Faso"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BI", "Burundi"),
    ("BJ", "Benin"),
    ("BL", "Saint Barthélemy"),
    ("BM", "Bermuda"),
    ("BN", "Brunei Darussalam"),
    ("BO", "Bolivia, Plurinational State of"),
    ("BQ", "Bonaire, Sint Eustatius and Saba"),
    ("BR", "Brazil"),
    ("BS", "Bahamas"),
    ("BT", "Bhutan"),
    ("BV", "Bouvet Island"),
    ("BW", "Botswana"),
    ("BY", "Belarus"),
    ("BZ", "Belize"),
    ("CA", "Canada"),
    ("CC", "Cocos (Keeling) Islands"),
    ("CD", "Congo, The Democratic Republic of the"),
    ("CF", "Central African Republic"),
    ("CG", "Congo"),
    ("CH", "Switzerland"),
    ("CI", "Côte d'Ivoire"),
    ("CK", "Cook Islands"),
    ("CL", "Chile"),
    ("CM", "Cameroon"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CV", "Cabo Verde"),
    ("CW", "Curaçao"),
    ("CX", "Christmas Island"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DJ", "Djibouti"),
    ("DK", "Denmark"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("DZ", "Algeria"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("EH", "Western Sahara"),
    ("ER", "Eritrea"),
    ("ES", "Spain"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FJ", "Fiji"),
    ("FK", "Falkland Islands (Malvinas)"),
    ("FM", "Micronesia, Federated States of"),
    ("FO", "Faroe Islands"),
    ("FR", "France"),
    ("GA", "Gabon"),
    ("GB", "United Kingdom"),
    ("GD", "Grenada"),
    ("GE", "Georgia"),
    ("GF", "French Guiana"),
    ("GG", "Guernsey"),
    ("GH", "Ghana"),
    ("GI", "Gibraltar"),
    ("GL", "Greenland"),
    ("GM", "Gambia"),
    ("GN", "Guinea"),
    ("GP", "Guadeloupe"),
    ("GQ", "Equatorial Guinea"),
    ("GR", "Greece"),
    ("GS", "South Georgia and the South Sandwich Islands"),
    ("GT", "Guatemala"),
    ("GU", "Guam"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HK", "Hong Kong"),
    ("HM", "Heard Island and McDonald Islands"),
    ("HN", "Honduras"),
    ("HR", "Croatia"),
    ("HT", "Haiti"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IM", "Isle of Man"),
    ("IN", "India"),
    ("IO", "British Indian Ocean Territory"),
    ("IQ", "Iraq"),
    ("IR", "Iran, Islamic Republic of"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JE", "Jersey"),
    ("JM", "Jamaica"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"),
    ("KI", "Kiribati"),
    ("KM", "Comoros"),
    ("KN", "Saint Kitts and Nevis"),
    ("KP", "Korea, Democratic People's Republic of"),
    ("KR", "Korea, Republic of"),
    ("KW", "Kuwait"),
    ("KY", "Cayman Islands"),
    ("KZ", "Kazakhstan"),
    ("LA", "Lao People's Democratic Republic"),
    ("LB", "Lebanon"),
    ("LC", "Saint Lucia"),
    ("LI", "Liechtenstein"),
    ("LK", "Sri Lanka"),
    ("LR", "Liberia"),
    ("LS", "Lesotho"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("LY", "Libya"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MD", "Moldova, Republic of"),
    ("ME", "Montenegro"),
    ("MF", "Saint Martin (French part)"),
    ("MG", "Madagascar"),
    ("MH", "Marshall Islands"),
    ("MK", "North Macedonia"),
    ("ML", "Mali"),
    ("MM", "Myanmar"),
    ("MN", "Mongolia"),
    ("MO", "Macao"),
    ("MP", "Northern Mariana Islands"),
    ("MQ", "Martinique"),
    ("MR", "Mauritania"),
    ("MS", "Montserrat"),
    ("MT", "Malta"),
    ("MU", "Mauritius"),
    ("MV", "Maldives"),
    ("MW", "Malawi"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("MZ", "Mozambique"),
    ("NA", "Namibia"),
    ("NC", "New Caledonia"),
    ("NE", "Niger"),
    ("NF", "Norfolk Island"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NR", "Nauru"),
    ("NU", "Niue"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PA", "Panama"),
    ("PE", "Peru"),
    ("PF", "French Polynesia"),
    ("PG", "Papua New Guinea"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PM", "Saint Pierre and Miquelon"),
    ("PN", "Pitcairn"),
    ("PR", "Puerto Rico"),
    ("PS", "Palestine, State of"),
    ("PT", "Portugal"),
    ("PW", "Palau"),
    ("PY", "Paraguay"),
    ("QA", "Qatar"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("RU", "Russian Federation"),
    ("RW", "Rwanda"),
    ("SA", "Saudi Arabia"),
    ("SB", "Solomon Islands"),
    ("SC", "Seychelles"),
    ("SD", "Sudan"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    ("SI", "Slovenia"),
    ("SJ", "Svalbard and Jan Mayen"),
    ("SK", "Slovakia"),
    ("SL", "Sierra Leone"),
    ("SM", "San Marino"),
    ("SN", "Senegal"),
    ("SO", "Somalia"),
    ("SR", "Suriname"),
    ("SS", "South Sudan"),
    ("ST", "Sao Tome and Principe"),
    ("SV", "El Salvador"),
    ("SX", "Sint Maarten (Dutch part)"),
    ("SY", "Syrian Arab Republic"),
    ("SZ", "Eswatini"),
    ("TC", "Turks and Caicos Islands"),
    ("TD", "Chad"),
    ("TF", "French Southern Territories"),
    ("TG", "Togo"),
    ("TH", "Thailand"),
    ("TJ", "Tajikistan"),
    ("TK", "Tokelau"),
    ("TL", "Timor-Leste"),
    ("TM", "Turkmenistan"),
    ("TN", "Tunisia"),
    ("TO", "Tonga"),
    ("TR", "Türkiye"),
    ("TT", "Trinidad and Tobago"),
    ("TV", "Tuvalu"),
    ("TW", "Taiwan, Province of China"),
    ("TZ", "Tanzania, United Republic of"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("UM", "United States Minor Outlying Islands"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VA", "Holy See (Vatican City State)"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("VE", "Venezuela, Bolivarian Republic of"),
    ("VG", "Virgin Islands, British"),
    ("VI", "Virgin Islands, U.S."),
    ("VN", "Viet Nam"),
    ("VU", "Vanuatu"),
    ("WF", "Wallis and Futuna"),
    ("WS", "Samoa"),
    ("YE", "Yemen"),
    ("YT", "Mayotte"),
    ("ZA", "South Africa"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
)

#: Names people use besides the short name (common names, and a few usual abbreviations).
ALIASES: dict[str, str] = {
    "Bolivia": "BO",
    "Iran": "IR",
    "Laos": "LA",
    "Moldova": "MD",
    "North Korea": "KP",
    "South Korea": "KR",
    "Syria": "SY",
    "Taiwan": "TW",
    "Tanzania": "TZ",
    "Venezuela": "VE",
    "Vietnam": "VN",
    "UK": "GB",
    "Great Britain": "GB",
    "Ivory Coast": "CI",
    "USA": "US",
    "Russia": "RU",
    "Czechia": "CZ",
}


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str

    @property
    def label(self) -> str:
        """``"Germany (DE)"``: how the picker shows (and accepts back) a country."""
        return f"{self.name} ({self.code})"


#: Every country, ordered by name (the picker's order when nothing is typed).
BY_NAME: tuple[Country, ...] = tuple(
    sorted((Country(code, name) for code, name in COUNTRIES), key=lambda c: c.name.casefold())
)
_BY_CODE: dict[str, Country] = {c.code: c for c in BY_NAME}
_BY_FOLDED_NAME: dict[str, str] = {
    **{name.casefold(): code for name, code in ALIASES.items()},
    **{c.name.casefold(): c.code for c in BY_NAME},
}
_ALIASES_OF: dict[str, tuple[str, ...]] = {
    code: tuple(n for n, c in ALIASES.items() if c == code) for code in set(ALIASES.values())
}


def country(code: str) -> Country | None:
    """The country with this alpha-2 code (any case), or None."""
    return _BY_CODE.get(code.strip().upper()) if isinstance(code, str) else None


def country_name(code: str) -> str | None:
    """The English short name of ``code`` (``"DE"`` -> ``"Germany"``), or None if unknown."""
    found = country(code)
    return found.name if found is not None else None


def resolve(text: str) -> str | None:
    """The code ``text`` names exactly, or None: a code (``de``), a name or alias in any case
    (``germany``, ``South Korea``), or a picker label (``Germany (DE)``)."""
    if not isinstance(text, str):
        return None
    typed = text.strip()
    if not typed:
        return None
    if len(typed) == 2 and typed.upper() in _BY_CODE:
        return typed.upper()
    code = _BY_FOLDED_NAME.get(typed.casefold())
    if code is not None:
        return code
    if typed.endswith(")") and "(" in typed:
        name, _, rest = typed[:-1].rpartition("(")
        found = country(rest)
        if found is not None and name.strip().casefold() in ("", found.name.casefold()):
            return found.code
    return None


def _rank(c: Country, query: str) -> int | None:
    """How well ``c`` matches the folded ``query`` (lower is better), None: not at all."""
    if c.code.casefold() == query:
        return 0
    best: int | None = None
    for name in (c.name, *_ALIASES_OF.get(c.code, ())):
        folded = name.casefold()
        if folded == query:
            rank = 1
        elif folded.startswith(query):
            rank = 2
        elif any(word.startswith(query) for word in folded.replace(",", " ").split()):
            rank = 3
        elif query in folded:
            rank = 4
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def search(query: str, limit: int | None = None) -> list[Country]:
    """Countries matching ``query`` as typed, best first: the exact code, then an exact name,
    names starting with it, a word starting with it, names containing it (ties by name).
    Aliases count as names; a picker label (``Germany (DE)``) finds its country. Nothing
    typed: every country, by name."""
    typed = query.strip() if isinstance(query, str) else ""
    if not typed:
        return list(BY_NAME[:limit] if limit is not None else BY_NAME)
    exact = resolve(typed)
    folded = typed.casefold()
    ranked = []
    for index, c in enumerate(BY_NAME):
        rank = -1 if c.code == exact else _rank(c, folded)
        if rank is not None:
            ranked.append((rank, index, c))
    ranked.sort(key=lambda item: (item[0], item[1]))
    found = [c for _, _, c in ranked]
    return found[:limit] if limit is not None else found
