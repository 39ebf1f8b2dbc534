"""The dataset features in Chromium: upload options, column mapping, dropping bad rows, the dataset page
(warnings, search, token histogram, downloads, template), the token preview with its loss mask, conversion
of a labelled table and the run form's template choice. Screenshots of each page under tests/e2e/screenshots/.
"""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.browser import SCREENSHOTS, api_client, chromium_page, embedded_studio_env
from tests.factories import alpaca_rows, jsonl
from tests.processes import api_server, celery_worker
from tests.tiny_model import build_tiny_llama

TIMEOUT = 15_000

pytestmark = pytest.mark.e2e

DEFECTS = ("The screen cracked after a day.", "The battery dies within an hour.", "The hinge snapped on day two.")
OTHERS = (
    "Delivery took three weeks.",
    "I was charged twice for one order.",
    "My refund has not arrived.",
    "Support never called me back.",
)


def complaint_rows() -> list[tuple[str, str]]:
    """(text, label): rows 41 and 42 repeat rows 2 and 3 exactly (a `duplicates` warning); "defect" is rare."""
    rows = []
    for index in range(40):
        text = DEFECTS[index % 3] if index % 5 == 0 else OTHERS[index % 4]
        rows.append((f"{text} Order {1000 + index}.", "defect" if index % 5 == 0 else "other"))
    return [*rows, rows[1], rows[2]]


def complaints_csv() -> bytes:
    """A classic labelled table whose columns name no instruction/answer: the upload must ask for a mapping."""
    rows = complaint_rows()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Complaint", "Category"])
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A migrated SQLite studio, its API and a light worker (token counts); no training worker: nothing here trains."""
    root = tmp_path_factory.mktemp("studio")
    env = embedded_studio_env(root)
    model = build_tiny_llama(root / "tiny-llama")
    with celery_worker(env, root / "light-worker.log", queue="light"), api_server(env, root / "api.log") as base_url:
        response = api_client(base_url).post(f"{base_url}/api/models", json={"name_or_path": str(model)})
        assert response.status_code == 201, response.text
        yield base_url, model


@pytest.fixture(scope="module")
def page(studio: tuple[str, Path]) -> Iterator[Any]:
    with chromium_page(TIMEOUT, signed_in_to=studio[0]) as page:
        yield page


def datasets(base_url: str) -> dict[str, dict[str, Any]]:
    items = api_client(base_url).get(f"{base_url}/api/datasets").json()["items"]
    return {item["name"]: item for item in items}


def test_upload_with_options_and_a_column_mapping(studio: tuple[str, Path], page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base_url, _ = studio
    table = tmp_path / "complaints.csv"
    table.write_bytes(complaints_csv())

    page.goto(f"{base_url}/datasets")
    page.get_by_test_id("upload-options-toggle").click()
    page.get_by_test_id("split-train").fill("70")
    expect(page.get_by_test_id("split-error")).to_contain_text("85%")  # 70 + 5 + 10 is not 100
    page.get_by_test_id("split-train").fill("80")
    page.get_by_test_id("split-validation").fill("10")
    page.get_by_test_id("split-seed").fill("7")
    expect(page.get_by_test_id("split-error")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "datasets-options.png"), full_page=True)

    page.get_by_test_id("dataset-file-input").set_input_files(str(table))
    form = page.get_by_test_id("column-mapping-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Complaint")
    expect(page.get_by_test_id("dataset-row")).to_have_count(0)  # a rejected upload stores nothing
    page.get_by_test_id("mapping-instruction").select_option("Complaint")
    page.get_by_test_id("mapping-output").select_option("Category")
    page.get_by_test_id("mapping-label").select_option("Category")
    page.screenshot(path=str(SCREENSHOTS / "datasets-mapping.png"), full_page=True)
    page.get_by_test_id("mapping-submit").click()

    expect(page.get_by_test_id("upload-success")).to_contain_text(f"{len(complaint_rows())} rows")
    expect(page.get_by_test_id("dataset-row")).to_have_count(1)
    stored = datasets(base_url)["complaints.csv"]
    assert stored["column_mapping"] == {"instruction": "Complaint", "output": "Category", "label": "Category"}
    assert stored["split_seed"] == 7
    assert stored["split_ratios"] == {"train": 0.8, "validation": 0.1, "test": 0.1}
    labels = [label for _, label in complaint_rows()]
    assert stored["label_counts"] == {"other": labels.count("other"), "defect": labels.count("defect")}


def test_bad_rows_are_listed_and_can_be_dropped(studio: tuple[str, Path], page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base_url, _ = studio
    lines = jsonl(alpaca_rows(40)).decode().splitlines()
    lines[7] = '{"instruction": "no output"}'
    lines[19] = '{"instruction": "broken", "output": '
    bad = tmp_path / "bad-rows.jsonl"
    bad.write_text("\n".join(lines) + "\n")

    page.goto(f"{base_url}/datasets")
    page.get_by_test_id("dataset-file-input").set_input_files(str(bad))
    errors = page.get_by_test_id("error-list")
    expect(errors).to_contain_text("line 8: missing 'output'")
    expect(errors).to_contain_text("line 20:")
    drop = page.get_by_test_id("drop-invalid")
    expect(drop).to_have_text("Drop 2 bad rows and keep 38")
    page.screenshot(path=str(SCREENSHOTS / "datasets-bad-rows.png"), full_page=True)
    assert "bad-rows.jsonl" not in datasets(base_url)

    drop.click()  # the same file again, without picking it
    expect(page.get_by_test_id("upload-success")).to_contain_text("2 bad rows dropped")
    stored = datasets(base_url)["bad-rows.jsonl"]
    assert (stored["num_rows"], stored["num_dropped"]) == (38, 2)
    row = page.locator(f"[data-testid=dataset-row][data-dataset-id='{stored['id']}']")
    expect(row.get_by_test_id("dataset-checks")).to_contain_text("2 dropped")
    page.screenshot(path=str(SCREENSHOTS / "datasets-list.png"), full_page=True)


def test_dataset_page_warnings_search_histogram_downloads(studio: tuple[str, Path], page: Any) -> None:
    from playwright.sync_api import expect

    base_url, tiny_model = studio
    dataset = datasets(base_url)["complaints.csv"]
    page.goto(f"{base_url}/datasets/{dataset['id']}?model={quote(str(tiny_model), safe='')}")

    expect(page.get_by_test_id("stat-rows")).to_contain_text(str(len(complaint_rows())))
    expect(page.get_by_test_id("stat-dropped")).to_contain_text("0")
    duplicates = page.locator("[data-testid=warning][data-code=duplicates]")
    expect(duplicates).to_be_visible()
    expect(duplicates.get_by_test_id("warning-count")).to_have_text("2")
    expect(page.locator("[data-testid=warning][data-code=label_imbalance]")).to_be_visible()
    expect(page.get_by_test_id("label-bar")).to_have_count(2)

    # The token histogram: drawn for the tiny model's tokenizer, with the truncation count in words.
    expect(page.get_by_test_id("token-histogram").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("truncation-summary")).to_contain_text("none would be truncated")
    page.get_by_test_id("tokens-max-length").fill("16")
    summary = page.get_by_test_id("truncation-summary")
    expect(summary).to_contain_text(f"of {len(complaint_rows())} examples")
    expect(summary).to_contain_text("would be truncated")
    assert int(summary.get_attribute("data-truncated")) > 0
    page.get_by_test_id("tokens-max-length").fill("256")
    expect(page.get_by_test_id("truncation-summary")).to_contain_text("none would be truncated")

    # A duplicate's row number lists it together with the row it repeats.
    duplicates.get_by_test_id("warning-row").first.click()
    expect(page.get_by_test_id("examples-filter")).to_be_visible()
    expect(page.get_by_test_id("example-row")).to_have_count(2)

    # Search.
    page.get_by_test_id("examples-search").fill("refund")
    rows = page.get_by_test_id("example-row")
    expect(rows).to_have_count(sum("refund" in text for text, _ in complaint_rows()))
    for text in rows.all_inner_texts():
        assert "refund" in text.lower()

    # Downloads: real links to the split files.
    link = page.get_by_test_id("download-train-jsonl")
    expect(link).to_be_visible()
    expect(page.get_by_test_id("download-test-csv")).to_be_visible()
    response = api_client(base_url).get(base_url + link.get_attribute("href"))
    assert response.status_code == 200
    assert len(response.text.splitlines()) == dataset["num_train"]

    # A template that does not parse is refused inline, and nothing changes.
    page.get_by_test_id("template-select").select_option("custom")
    page.get_by_test_id("custom-template-input").fill("{% for %}")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-error")).to_contain_text("does not parse")
    assert api_client(base_url).get(f"{base_url}/api/datasets/{dataset['id']}").json()["template"] == "alpaca"
    page.get_by_test_id("template-select").select_option("alpaca")

    page.get_by_test_id("examples-search").fill("")
    expect(page.get_by_test_id("example-row")).to_have_count(25)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "dataset-detail.png"), full_page=True)


def test_preview_marks_trained_masked_and_cut_tokens(studio: tuple[str, Path], page: Any) -> None:
    from playwright.sync_api import expect

    base_url, tiny_model = studio
    dataset = datasets(base_url)["complaints.csv"]
    page.goto(f"{base_url}/datasets/{dataset['id']}?model={quote(str(tiny_model), safe='')}")
    page.get_by_test_id("example-preview-link").first.click()
    page.wait_for_url(re.compile(r"/preview\?example=\d+"))

    preview = page.get_by_test_id("token-preview")
    expect(preview).to_be_visible()
    trained = preview.locator("[data-role=trained]")
    masked = preview.locator("[data-role=prompt]")
    expect(trained.first).to_be_visible()
    expect(masked.first).to_be_visible()
    expect(preview.locator("[data-role=truncated]")).to_have_count(0)
    assert masked.count() > trained.count() > 0
    assert page.get_by_test_id("count-trained").get_attribute("data-count") == str(trained.count())
    assert page.get_by_test_id("count-masked").get_attribute("data-count") == str(masked.count())

    # What is trained is exactly the answer (plus the end token); the Alpaca prompt is masked.
    # ?example= is the example's number in its dataset (not its id, which counts across datasets).
    example_number = int(page.url.split("example=")[1].split("&")[0])
    example = next(
        e
        for e in api_client(base_url)
        .get(f"{base_url}/api/datasets/{dataset['id']}/examples", params={"limit": 500})
        .json()["items"]
        if e["number"] == example_number
    )
    assert example_number == 1 != example["id"] or dataset["id"] == 1  # the first example of a later dataset
    api = (
        api_client(base_url)
        .post(
            f"{base_url}/api/datasets/{dataset['id']}/preview",
            json={
                "example_number": example_number,
                "base_model": str(tiny_model),
                "max_seq_length": 256,
                "completion_only_loss": True,
            },
        )
        .json()
    )
    answer = "".join(t["text"] for t in api["tokens"] if t["trained"])
    assert answer.startswith(example["record"]["output"])
    assert "### Response" in "".join(t["text"] for t in api["tokens"] if t["reason"] == "prompt")
    expect(masked.filter(has_text="Response")).not_to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "dataset-preview.png"), full_page=True)

    # Completion-only loss off: nothing is masked any more.
    page.get_by_test_id("tokens-completion-only").uncheck()
    expect(page.get_by_test_id("count-masked")).to_have_attribute("data-count", "0")
    expect(preview.locator("[data-role=prompt]")).to_have_count(0)
    page.get_by_test_id("tokens-completion-only").check()

    # A short max_seq_length cuts the answer: struck through, and said plainly.
    page.get_by_test_id("tokens-max-length").fill("16")
    expect(preview.locator("[data-role=truncated]").first).to_be_visible()
    expect(page.get_by_test_id("token-summary")).to_contain_text("No token is trained on")
    page.screenshot(path=str(SCREENSHOTS / "dataset-preview-truncated.png"), full_page=True)


def test_convert_a_labelled_table(studio: tuple[str, Path], page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base_url, _ = studio
    table = tmp_path / "tickets.csv"
    table.write_bytes(complaints_csv())

    page.goto(f"{base_url}/datasets")
    page.get_by_test_id("convert-link").click()
    page.get_by_test_id("convert-file-input").set_input_files(str(table))
    # The columns are read in the browser; "Category" is recognised as the label, "Complaint" is not a text name.
    expect(page.get_by_test_id("convert-label-column")).to_have_value("Category")
    expect(page.get_by_test_id("convert-text-column")).to_have_value("")
    page.get_by_test_id("convert-text-column").select_option("Complaint")
    page.get_by_test_id("convert-task").fill("Decide whether the complaint is about a product defect")
    page.get_by_test_id("convert-paraphrases").fill("2")
    page.get_by_test_id("convert-inverted").check()
    page.get_by_test_id("convert-preview").click()

    expect(page.get_by_test_id("convert-label")).to_have_text(["defect", "other"])
    rows = page.get_by_test_id("convert-example-row")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("OPTIONS")
    page.screenshot(path=str(SCREENSHOTS / "dataset-convert.png"), full_page=True)

    page.get_by_test_id("convert-save").click()
    page.wait_for_url(re.compile(r"/datasets/\d+$"))
    stored = datasets(base_url)["tickets (instructions)"]
    assert page.url.rstrip("/").endswith(f"/datasets/{stored['id']}")
    assert stored["num_rows"] == 2 * len(complaint_rows())  # every row, and its inverted task
    expect(page.get_by_test_id("stat-rows")).to_contain_text(str(stored["num_rows"]))


def test_new_run_offers_a_template_override(studio: tuple[str, Path], page: Any) -> None:
    from playwright.sync_api import expect

    base_url, _ = studio
    dataset = datasets(base_url)["complaints.csv"]
    page.goto(f"{base_url}/runs/new?dataset={dataset['id']}")
    select = page.get_by_test_id("run-template-select")
    expect(select).to_have_value("")
    expect(select.locator("option").first).to_have_text("Dataset's template (alpaca)")
    names = [t["name"] for t in api_client(base_url).get(f"{base_url}/api/templates").json()["items"]]
    assert select.locator("option").all_inner_texts()[1:] == names
    select.select_option("chatml")
    expect(page.get_by_test_id("run-template-description")).to_contain_text("ChatML")
    page.screenshot(path=str(SCREENSHOTS / "new-run-template.png"), full_page=True)


def test_the_leakage_warning_offers_an_upload_keeping_similar_prompts_together(
    studio: tuple[str, Path], page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base_url, _ = studio
    path = tmp_path / "repeated.jsonl"  # every prompt twice: split by rows, copies land in train and in test
    path.write_bytes(jsonl([{"instruction": f"Question {i // 2}?", "output": f"Answer {i}"} for i in range(60)]))
    leaky = (
        api_client(base_url)
        .post(f"{base_url}/api/datasets", files={"file": (path.name, path.read_bytes())}, data={"name": "repeated"})
        .json()
    )
    page.goto(f"{base_url}/datasets/{leaky['id']}")
    leakage = page.locator("[data-testid=warning][data-code=leakage]")
    expect(leakage).to_contain_text("Upload again with 'Keep similar prompts in one split'")

    leakage.get_by_test_id("warning-fix").click()
    page.wait_for_url(re.compile(r"/datasets\?group_similar=1$"))
    expect(page.get_by_test_id("upload-group-similar")).to_be_checked()
    page.get_by_test_id("dataset-file-input").set_input_files(str(path))
    expect(page.get_by_test_id("upload-success")).to_be_visible()
    grouped = max(datasets(base_url).values(), key=lambda item: item["id"])
    assert grouped["id"] > leaky["id"]
    assert "leakage" not in {warning["code"] for warning in grouped["warnings"]}
