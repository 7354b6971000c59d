"""The README and docs/ as a newcomer follows them, on an offline first start: `make run`'s
start-up path builds the database from data/history with RTE unreachable, and then every
`curl` line aimed at 127.0.0.1:8000 answers data (the answers shown beside them are the
answers given), the quick start's figures are exact, the pandas recipe runs as written, and
every link to a file of the repository leads to one."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest

from consumption.bootstrap import build_app, prepare_database
from consumption.config import Settings
from tests.helpers import refused_url, running_server

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
ORIGIN = "http://127.0.0.1:8000"  # where `make run` serves, as the documents write it
EXPECTED_STATUS = re.compile(r"#\s*→\s*(\d{3})\b")  # `curl '…'   # → 400`: an example of an error
DOCUMENTED_PAIR = re.compile(r'"(\w+)": ("[^"]*"|-?\d+|true|false|null)')


@dataclass(frozen=True)
class CurlExample:
    """One `curl` line of a document, as a request; `shown` is the JSON block printed after it."""

    where: str  # document:line
    url: str
    headers: dict[str, str]
    status: int
    shown: str = ""
    options: list[str] = field(default_factory=list)  # options the test cannot send as curl would

    @property
    def path(self) -> str:
        return self.url.removeprefix(ORIGIN)


def curl_example(where: str, line: str, shown: str) -> CurlExample | None:
    """The request of a `curl` line whose URL is on ORIGIN, or None for any other line."""
    words = shlex.split(line, comments=True)
    if not words or words[0] != "curl":
        return None
    url, headers, options = "", {}, []
    remaining = iter(words[1:])
    for word in remaining:
        if word == "-H":
            name, _, value = next(remaining).partition(":")
            headers[name.strip()] = value.strip()
        elif word == ">":
            next(remaining)  # the file the shell writes the answer to
        elif word.startswith("-"):
            options.append(word)
        else:
            url = word
    if not url.startswith(ORIGIN + "/"):
        return None
    expected = EXPECTED_STATUS.search(line)
    status = int(expected.group(1)) if expected else 200
    return CurlExample(where, url, headers, status, shown, options)


def curl_examples(document: Path) -> list[CurlExample]:
    """Every `curl` line of the document's ```sh blocks; the last of a block gets the ```json
    block that follows it, if any."""
    text = document.read_text()
    examples = []
    for block in re.finditer(r"```sh\n(.*?)```(\s*```json\n(.*?)```)?", text, re.S):
        first_line = text.count("\n", 0, block.start()) + 2
        lines = block.group(1).splitlines()
        for number, line in enumerate(lines):
            shown = (block.group(3) or "") if number == len(lines) - 1 else ""
            example = curl_example(f"{document.relative_to(ROOT)}:{first_line + number}", line, shown)
            if example:
                examples.append(example)
    return examples


EXAMPLES = [example for document in DOCUMENTS for example in curl_examples(document)]


@pytest.fixture(scope="module")
def offline_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """`make run` on a fresh clone with no network: default settings (the checkout's
    data/history, REFRESH_INTERVAL=once), an empty DATA_DIR and an RTE that refuses
    connections; yields a client once start-up's refresh has failed, as /health reports it."""
    data_dir = tmp_path_factory.mktemp("offline") / "data"
    data_dir.mkdir()
    with refused_url() as rte_url:
        environment = {"DATA_DIR": str(data_dir), "RTE_BASE_URL": rte_url}
        settings = Settings.from_environment(env_file=None, environ=environment)
        startup = prepare_database(settings)
        assert startup is not None and startup.built and not startup.skipped
        with running_server(build_app(settings, startup)) as url, httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(200):
                if client.get("/health").json()["refresh"] is not None:
                    break
                time.sleep(0.05)
            yield client


def scalar_pairs(value: object) -> set[tuple[str, str]]:
    """Every (key, JSON value) of the document's objects whose value is not a list or object."""
    if isinstance(value, list):
        return set().union(*(scalar_pairs(item) for item in value))
    if not isinstance(value, dict):
        return set()
    pairs = {(key, json.dumps(item)) for key, item in value.items() if not isinstance(item, dict | list)}
    return pairs.union(*(scalar_pairs(item) for item in value.values()))


def has_data(response: httpx.Response) -> bool:
    if response.headers["content-type"].startswith("text/csv"):
        return len(response.text.splitlines()) >= 2  # a header line, then data
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        return bool(body["data"]) if "data" in body else bool(body)
    return bool(response.text.strip())


def test_the_readme_shows_a_curl_for_each_part_of_the_api_tour() -> None:
    paths = [example.path for example in EXAMPLES if example.where.startswith("README.md")]
    assert any(path.startswith("/consumption?") and "interval=" not in path for path in paths)
    assert any("interval=all" in path for path in paths)
    assert any(path.startswith("/consumption/gaps?") for path in paths)
    assert any(path.startswith("/consumption/peaks?") for path in paths)
    assert any(path.startswith("/consumption/profile?") for path in paths)
    csv = [e for e in EXAMPLES if "format=csv" in e.url or e.headers.get("Accept") == "text/csv"]
    assert any(example.where.startswith("README.md") for example in csv)
    assert any(example.status == 400 for example in EXAMPLES if example.where.startswith("README.md"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.where for example in EXAMPLES])
def test_each_documented_curl_answers_on_an_offline_first_start(offline_start, example: CurlExample) -> None:
    assert not example.options, f"{example.where}: options the test cannot send: {example.options}"
    response = offline_start.get(example.path, headers=example.headers)
    assert response.status_code == example.status, f"{example.where}: {response.text[:300]}"
    if example.status == 200:
        assert has_data(response), f"{example.where} answers no data: {response.text[:300]}"
    else:
        assert response.json()["error"]
    if example.shown:  # each `"key": value` shown is in the answer (`…` stands for what is left out)
        answer = scalar_pairs(response.json())
        for key, value in DOCUMENTED_PAIR.findall(example.shown):
            if "…" not in value:
                assert (key, value) in answer, f"{example.where}: the answer has no {key}: {value}"


def test_the_quick_start_answers_119_half_hours_whose_mean_is_65329_3_mw(offline_start) -> None:
    quick_start = EXAMPLES[0]
    assert quick_start.where.startswith("README.md")
    assert quick_start.path == "/consumption?start=2019-01-01T06:00&end=2019-01-03T17:00"
    body = offline_start.get(quick_start.path).json()
    values = [point["consumption_w"] / 1e6 for point in body["data"]]
    assert body["count"] == len(values) == 119
    assert round(sum(values) / len(values), 1) == 65_329.3
    text = README.read_text()
    assert "119 half hours" in text and "65,329.3 MW" in text


def readme_recipe() -> str:
    """The README's pandas recipe: the python block of the paragraph that names pandas."""
    text = README.read_text()
    section = text[text.index("**With pandas**") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the README has no pandas recipe"
    return found.group(1)


def test_the_readme_pandas_recipe_reads_a_year_with_two_offsets(offline_start) -> None:
    namespace: dict = {}
    exec(readme_recipe().replace(ORIGIN, str(offline_start.base_url).rstrip("/")), namespace)
    half_hours, days, utc, rows = namespace["half_hours"], namespace["days"], namespace["utc"], namespace["rows"]
    paris = half_hours["timestamp"]
    assert isinstance(paris.dtype, pd.DatetimeTZDtype)
    # 2019: 365 days of 48 half hours, but 46 on 31 March and 48 of the clock's 50 on 27 October.
    assert len(half_hours) == 365 * 48 - 2
    assert paris.is_monotonic_increasing
    assert paris.iloc[0].isoformat() == "2019-01-01T00:00:00+01:00"
    assert paris.iloc[-1].isoformat() == "2019-12-31T23:30:00+01:00"
    assert {t.utcoffset() for t in paris} == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    per_day = paris.dt.date.value_counts()
    assert per_day[dt.date(2019, 3, 31)] == 46 and per_day[dt.date(2019, 10, 27)] == 48
    # Read as instants, the half hours follow each other across the spring change; in autumn
    # the repeated hour's second occurrence, which RTE's files cannot express, is missing.
    steps = paris.diff().dropna()
    assert set(steps) == {pd.Timedelta(minutes=30), pd.Timedelta(minutes=90)}
    (after_hole,) = paris[1:][list(steps == pd.Timedelta(minutes=90))]
    assert after_hole.isoformat() == "2019-10-27T03:00:00+01:00"
    assert isinstance(days["timestamp"].dtype, pd.DatetimeTZDtype)
    assert len(days) == 365
    by_day = days.set_index(days["timestamp"].dt.date)
    assert tuple(by_day.loc[dt.date(2019, 3, 31), ["count", "expected"]]) == (46, 46)
    assert tuple(by_day.loc[dt.date(2019, 10, 27), ["count", "expected"]]) == (48, 50)
    assert set(by_day.drop([dt.date(2019, 3, 31), dt.date(2019, 10, 27)])["count"]) == {48}
    assert isinstance(utc["timestamp"].dtype, pd.DatetimeTZDtype) and str(utc["timestamp"].dt.tz) == "UTC"
    # With tz=UTC the bounds are UTC: the year starts an hour later than in Paris, and ends an
    # hour later, on 1 January 2020 00:30 Paris time.
    assert list(utc["timestamp"].iloc[:-2]) == list(paris.iloc[2:])
    last_two = [t.isoformat() for t in utc["timestamp"].iloc[-2:]]
    assert last_two == ["2019-12-31T23:00:00+00:00", "2019-12-31T23:30:00+00:00"]
    assert list(rows["consumption_w"]) == list(half_hours["consumption_w"])
    assert list(rows["timestamp"]) == [t.isoformat() for t in paris]


def test_pandas_cannot_read_the_json_envelope_as_the_readme_says(offline_start) -> None:
    """The README tells why the recipe takes `data` itself: read_json raises on the envelope."""
    url = f"{str(offline_start.base_url).rstrip('/')}/consumption?start=2019-01-01&end=2019-01-01"
    with pytest.raises(ValueError, match="Mixing dicts with non-Series"):
        pd.read_json(url)
    assert "`pd.read_json(url)` cannot read that envelope (it raises a\n`ValueError`)" in README.read_text()


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", document.read_text(), flags=re.S)
    return {github_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_every_link_to_a_file_of_the_repository_leads_to_it(document: Path) -> None:
    text = re.sub(r"```.*?```", "", document.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"\w+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.is_relative_to(ROOT), f"{document.name}: {target} is outside the repository"
        assert linked.exists(), f"{document.name}: {target} does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{document.name}: {target}: no such heading"


def test_the_readme_links_each_document_of_docs() -> None:
    text = README.read_text()
    for document in DOCUMENTS[1:]:
        assert f"](docs/{document.name})" in text, f"the README does not link docs/{document.name}"


@pytest.mark.parametrize("document", [*DOCUMENTS, ROOT / "data" / "README.md"], ids=lambda d: d.name)
def test_the_documents_refer_to_nothing_outside_the_repository(document: Path) -> None:
    text = document.read_text()
    assert "../shared" not in text and not re.search(r"\bissues? \d+", text, re.I)
