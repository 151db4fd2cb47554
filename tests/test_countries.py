"""Country resolution: codes, names, translations, aliases, display names and errors."""

from __future__ import annotations

import gettext
import time
import unicodedata

import pycountry
import pytest
import yaml

from provenance.errors import ProvenanceError, UnknownCountryError
from provenance.values import countries
from provenance.values.countries import (
    CountryAliasError,
    CountryResolver,
    IsoCountry,
    all_countries,
    default_resolver,
    display_name,
    normalize_key,
    shipped_aliases,
)

# Every form the issue asks for, by country. Each must resolve, from pycountry or the alias file.
REQUIRED: dict[str, list[str]] = {
    "GB": [
        "UK", "U.K.", "Great Britain", "Britain", "England", "United Kingdom", "GB", "GBR",
        "Großbritannien", "Vereinigtes Königreich", "Royaume-Uni", "Grande-Bretagne",
        "Великобритания", "Велика Британія", "イギリス", "英国", "영국",
    ],
    "KP": [
        "DPRK", "North Korea", "Nordkorea", "Corée du Nord", "Северная Корея", "КНДР",
        "Північна Корея", "北朝鮮", "북한", "조선",
    ],
    "KR": [
        "South Korea", "ROK", "Republic of Korea", "Südkorea", "Corée du Sud", "Южная Корея",
        "韓国", "한국", "대한민국",
    ],
    "US": [
        "USA", "US", "U.S.", "U.S.A.", "America", "United States", "United States of America",
        "Vereinigte Staaten", "États-Unis", "США", "米国", "アメリカ", "미국",
    ],
    "RU": [
        "Russia", "Russian Federation", "Russland", "Russie", "Россия", "РФ", "Росія", "ロシア",
        "러시아",
    ],
    "NL": ["Holland", "the Netherlands", "Netherlands", "Niederlande"],
    "TW": ["Taiwan", "ROC", "Republic of China", "Taiwán", "台湾", "대만", "Тайвань"],
    "CN": [
        "PRC", "China", "People's Republic of China", "Volksrepublik China", "中国", "중국",
        "КНР",
    ],
    "CH": ["Schweiz", "Suisse", "Svizzera", "Switzerland", "Швейцария", "スイス"],
    "JP": ["Japan", "日本"],
    "DE": ["Germany", "Deutschland", "BRD"],
    "IR": ["Iran", "Persia"],
    "TR": ["Turkey", "Türkei", "Türkiye"],
    "CZ": ["Czech Republic", "Czechia"],
    "CI": ["Ivory Coast", "Côte d'Ivoire"],
    "VN": ["Vietnam", "Viet Nam"],
    "LA": ["Laos"],
    "SY": ["Syria"],
    "MD": ["Moldova"],
    "BO": ["Bolivia"],
    "VE": ["Venezuela"],
    "TZ": ["Tanzania"],
    "BY": ["Belarus", "Weißrussland", "Беларусь", "Белоруссия"],
    "MO": ["Macau", "Macao"],
    "HK": ["Hong Kong", "Hongkong"],
}  # fmt: skip
REQUIRED_CASES = [(code, name) for code, names in REQUIRED.items() for name in names]


@pytest.fixture(scope="module")
def resolver() -> CountryResolver:
    return default_resolver()


@pytest.mark.parametrize(("code", "name"), REQUIRED_CASES)
def test_required_names_resolve(resolver: CountryResolver, code: str, name: str) -> None:
    assert resolver.resolve(name) == code


@pytest.mark.parametrize(("code", "name"), REQUIRED_CASES)
def test_case_and_surrounding_whitespace_ignored(
    resolver: CountryResolver, code: str, name: str
) -> None:
    assert resolver.lookup(f"  {name.upper()}\t") == code
    assert resolver.lookup(f"\n{name.lower()} ") == code


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("DE", "DE"), ("DE", "de"), ("DE", "DEU"), ("DE", "deu"), ("KP", "KP"), ("KP", "PRK"),
        ("KR", "KOR"), ("TW", "TWN"), ("GB", "gbr"), ("NO", "NO"), ("NO", "nor"), ("UA", "UA"),
        ("UA", "UKR"),
    ],
)  # fmt: skip
def test_alpha2_and_alpha3_codes(resolver: CountryResolver, code: str, text: str) -> None:
    assert resolver.resolve(text) == code


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("GB", "United Kingdom of Great Britain and Northern Ireland"),
        ("KP", "Democratic People's Republic of Korea"),
        ("KP", "Korea, Democratic People's Republic of"),
        ("KR", "Korea, Republic of"),
        ("TW", "Taiwan, Province of China"),
        ("DE", "Federal Republic of Germany"),
        ("CH", "Swiss Confederation"),
        ("IR", "Islamic Republic of Iran"),
        ("NL", "Kingdom of the Netherlands"),
        ("TR", "Republic of Türkiye"),
    ],
)
def test_official_and_iso_names(resolver: CountryResolver, code: str, text: str) -> None:
    assert resolver.resolve(text) == code


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("AT", "Österreich"), ("AT", "osterreich"), ("AT", "OSTERREICH"),
        ("CI", "Côte d'Ivoire"), ("CI", "cote d'ivoire"), ("CI", "cote divoire"),
        ("CI", "COTE D’IVOIRE"),
        ("TR", "Türkiye"), ("TR", "turkiye"), ("TR", "Turkei"),
        ("GB", "Grossbritannien"), ("GB", "grande bretagne"), ("GB", "royaume_uni"),
        ("US", "Etats-Unis"), ("US", "u.s.a"), ("US", "usa."),
        ("KR", "Sudkorea"), ("KP", "coree du nord"),
        ("IT", "Włochy"), ("IT", "wlochy"), ("BY", "Białoruś"), ("BY", "bialorus"),
        ("BY", "Weissrussland"), ("GB", "ＧＢ"), ("GW", "Guinea Bissau"),
    ],
)  # fmt: skip
def test_accents_and_punctuation_ignored(resolver: CountryResolver, code: str, text: str) -> None:
    assert resolver.resolve(text) == code


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("KP", "\u200bNorth Korea"),
        ("KP", "North\u200c Korea\u200d"),
        ("KP", "Nord\u2060korea"),
        ("GB", "\ufeffUK"),
        ("DE", "Deutsch\u00adland"),
        ("KR", "한\u200b국"),
    ],
)
def test_zero_width_characters_ignored(resolver: CountryResolver, code: str, text: str) -> None:
    assert resolver.resolve(text) == code


def test_normalize_key() -> None:
    assert normalize_key("U.S.A.") == normalize_key("USA") == "usa"
    assert normalize_key("  North \t  Korea ") == "north korea"
    assert normalize_key("north_korea") == normalize_key("North-Korea") == "north korea"
    assert normalize_key("Großbritannien") == "grossbritannien"
    assert normalize_key("Côte d'Ivoire") == "cote divoire"
    assert normalize_key("\u200b\ufeff") == ""


def test_normalize_key_keeps_japanese_and_korean_distinct() -> None:
    # Dakuten are combining marks under NFD but are not accents: ガ and カ stay different.
    assert normalize_key("ガ") == "ガ"
    assert normalize_key("ガ") != normalize_key("カ")
    assert normalize_key("ロシア") == "ロシア"
    assert normalize_key("イギリス") != normalize_key("イキリス")
    # Hangul comes back composed, so typed and stored names still match.
    assert normalize_key("한국") == "한국"
    assert normalize_key(unicodedata.normalize("NFD", "한국")) == "한국"  # conjoining jamo
    assert normalize_key("북한") != normalize_key("한국")


@pytest.mark.parametrize("text", ["Österreich", "イギリス", "대한민국", "Côte d'Ivoire", "Россия"])
def test_decomposed_input_matches(resolver: CountryResolver, text: str) -> None:
    """Text pasted in NFD form (macOS file names, some PDFs) resolves like composed text."""
    assert resolver.lookup(unicodedata.normalize("NFD", text)) == resolver.lookup(text)
    assert resolver.lookup(text) is not None


def test_every_country_resolves_from_its_own_names(resolver: CountryResolver) -> None:
    for c in all_countries():
        forms = [c.alpha2, c.alpha3, c.name, c.official_name, c.common_name, c.display_name]
        for form in filter(None, forms):
            assert resolver.lookup(form) == c.alpha2, (form, c.alpha2)


@pytest.mark.parametrize("lang", ["de", "fr", "ru", "uk", "ja", "ko", "es", "it", "pl", "nl"])
def test_every_translation_resolves(resolver: CountryResolver, lang: str) -> None:
    catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    for c in all_countries():
        for text in filter(None, [c.name, c.official_name, c.common_name]):
            translated = catalog.gettext(text)
            assert resolver.lookup(translated) == c.alpha2, (lang, translated, c.alpha2)


def test_no_ambiguity_for_important_names() -> None:
    """No required form, and no English name, was dropped from the index as ambiguous."""
    ambiguous = countries._base_index().ambiguous
    important = {normalize_key(name) for _, name in REQUIRED_CASES}
    for c in all_countries():
        important.update(
            normalize_key(t) for t in (c.name, c.official_name, c.common_name) if t is not None
        )
    assert not (important & ambiguous)


def test_a_name_of_two_countries_is_dropped_not_guessed() -> None:
    index, ambiguous = countries._unambiguous(
        [("georgia", "GE"), ("georgia", "US"), ("georgia", "GE"), ("chad", "TD"), ("chad", "TD")]
    )
    assert index == {"chad": "TD"}
    assert ambiguous == {"georgia"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("TW", "Taiwan"), ("KP", "North Korea"), ("KR", "South Korea"), ("GB", "United Kingdom"),
        ("US", "United States"), ("RU", "Russia"), ("IR", "Iran"), ("VN", "Vietnam"),
        ("CN", "China"), ("CH", "Switzerland"), ("DE", "Germany"), ("JP", "Japan"),
        ("NL", "Netherlands"), ("SY", "Syria"), ("tw", "Taiwan"),
    ],
)  # fmt: skip
def test_display_names(code: str, expected: str) -> None:
    assert display_name(code) == expected
    assert default_resolver().country(code).display_name == expected


def test_country_record() -> None:
    kp = default_resolver().country("KP")
    assert kp == IsoCountry(
        alpha2="KP",
        alpha3="PRK",
        name="Korea, Democratic People's Republic of",
        official_name="Democratic People's Republic of Korea",
        common_name="North Korea",
    )
    ru = default_resolver().country("RU")
    assert (ru.name, ru.common_name, ru.display_name) == ("Russian Federation", None, "Russia")


def test_all_countries() -> None:
    everything = all_countries()
    codes = [c.alpha2 for c in everything]
    assert len(everything) == len(pycountry.countries)
    assert codes == sorted(set(codes))
    assert {"GB", "KP", "TW", "US"} <= set(codes)


def test_country_unknown_code_is_key_error() -> None:
    with pytest.raises(KeyError):
        default_resolver().country("XX")
    with pytest.raises(KeyError):
        display_name("Germany")


def test_unknown_name_raises_with_suggestions(resolver: CountryResolver) -> None:
    with pytest.raises(UnknownCountryError) as excinfo:
        resolver.resolve("Germny")
    err = excinfo.value
    assert isinstance(err, ProvenanceError)
    assert isinstance(err, ValueError)
    assert err.value == "Germny"
    assert err.suggestions[0] == "Germany"
    assert "Germany" in str(err)
    assert resolver.suggest("Germny")[0] == "Germany"
    assert resolver.suggest("Nordkorae")[0] == "North Korea"
    assert len(resolver.suggest("Germny", limit=1)) == 1


@pytest.mark.parametrize("text", ["Atlantis", "Korea", "USSR", "Soviet Union", "Scotland", "XX"])
def test_unknown_or_ambiguous_name_raises(resolver: CountryResolver, text: str) -> None:
    assert resolver.lookup(text) is None
    with pytest.raises(UnknownCountryError):
        resolver.resolve(text)


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\u200b", "..."])
def test_blank_is_none(resolver: CountryResolver, text: str) -> None:
    assert resolver.lookup(text) is None
    assert resolver.suggest(text) == []
    with pytest.raises(UnknownCountryError):
        resolver.resolve(text)


def test_extra_aliases_add_and_override() -> None:
    custom = CountryResolver({"Blighty": "GB", "Holland": "be", "Nordkorea": "KR"})
    assert custom.resolve("blighty") == "GB"
    assert custom.resolve("HOLLAND") == "BE"  # user aliases win over shipped ones
    assert custom.resolve("Nordkorea") == "KR"  # ... and over pycountry's translations
    assert custom.resolve("Deutschland") == "DE"
    assert default_resolver().lookup("Blighty") is None
    assert default_resolver().resolve("Holland") == "NL"


def test_with_aliases_is_a_copy() -> None:
    base = CountryResolver({"Blighty": "GB"})
    more = base.with_aliases({"Blighty": "IE", "Eire": "IE"})
    assert more.resolve("Blighty") == "IE"
    assert more.resolve("Eire") == "IE"
    assert base.resolve("Blighty") == "GB"
    assert base.lookup("Eire") is None
    assert more.resolve("Schweiz") == "CH"


@pytest.mark.parametrize(
    "extra",
    [
        {"Atlantis": "XX"},
        {"Atlantis": "GBR"},
        {"Atlantis": ""},
        {"   ": "GB"},
        {"Foo": "GB", "FOO": "DE"},
        {"Ébène": "FR", "ebene": "BE"},
    ],
)
def test_bad_aliases_raise(extra: dict[str, str]) -> None:
    with pytest.raises(CountryAliasError) as excinfo:
        CountryResolver(extra)
    assert isinstance(excinfo.value, ProvenanceError)
    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(CountryAliasError):
        default_resolver().with_aliases(extra)


def test_bad_alias_message_names_alias_and_code() -> None:
    with pytest.raises(CountryAliasError, match=r"'Atlantis'.*'XX'.*alpha-2"):
        CountryResolver({"Atlantis": "XX"})


def test_unquoted_yaml_no_is_caught() -> None:
    """YAML reads a bare NO (Norway) as false: that must be an error, not a silent mapping."""
    table = yaml.safe_load("Norge: NO\nNorwegen: 'NO'\n")
    with pytest.raises(CountryAliasError, match="quote"):
        CountryResolver(table)
    assert CountryResolver({"Norwegen": table["Norwegen"]}).resolve("norwegen") == "NO"


def test_shipped_aliases() -> None:
    table = shipped_aliases()
    assert table["UK"] == "GB"
    assert table["DPRK"] == "KP"
    assert table["Holland"] == "NL"
    assert all(isinstance(k, str) and k.strip() for k in table)
    assert all(pycountry.countries.get(alpha_2=v) is not None for v in table.values())
    table["UK"] = "UA"
    assert shipped_aliases()["UK"] == "GB"
    resolver = default_resolver()
    for alias, code in shipped_aliases().items():
        assert resolver.resolve(alias) == code


def test_default_resolver_is_built_once() -> None:
    assert default_resolver() is default_resolver()


def test_index_builds_fast() -> None:
    start = time.perf_counter()
    index = countries._base_index.__wrapped__()
    elapsed = time.perf_counter() - start
    assert len(index.keys) > 2000
    assert elapsed < 1.0  # about 0.04 s on a developer machine; the budget is 0.3 s
