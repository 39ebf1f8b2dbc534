"""Launch → finished predictions through the running studio, as a user does it (REST API, default hyperparameters).

Start the studio first (`make up`), create an API token on the Account page, then:
  STUDIO_TOKEN=fts_… .venv/bin/python -m bench.launch_to_predictions [--url http://127.0.0.1:8000]
The promise it checks: a 120-row Alpaca dataset on the bundled model finishes in under 10 minutes on 2 CPU cores.
"""

import argparse
import json
import os
import time

import httpx

from bench.train_defaults import alpaca_like_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--base-model", default="smollm2-135m-instruct")
    parser.add_argument("--token", default=os.environ.get("STUDIO_TOKEN", ""), help="An API token (or STUDIO_TOKEN).")
    args = parser.parse_args()

    rows = alpaca_like_rows()
    content = "".join(json.dumps(row.model_dump(exclude={"shape"})) + "\n" for row in rows).encode()
    headers = {"Authorization": f"Bearer {args.token}"}
    with httpx.Client(base_url=args.url, timeout=60, headers=headers) as api:
        dataset = api.post("/api/datasets", files={"file": ("bench-alpaca.jsonl", content)}).raise_for_status().json()
        launched = time.monotonic()
        run = api.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": args.base_model}).json()
        started = None
        while True:
            run = api.get(f"/api/runs/{run['id']}").json()
            if run["status"] == "running" and started is None:
                started = time.monotonic()
            if run["status"] in {"succeeded", "failed", "cancelled"}:
                break
            time.sleep(1)
        finished = time.monotonic()
        metrics = api.get(f"/api/runs/{run['id']}/metrics").json()["items"]
        evaluations = api.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]

    steps = max((m["step"] for m in metrics if m["name"] == "train_loss"), default=0)
    print(f"rows: {dataset['num_train']} train / {dataset['num_validation']} validation / {dataset['num_test']} test")
    print(f"status: {run['status']} {run['error'] or ''}")
    print(f"steps: {steps}  device: {(run['environment'] or {}).get('device')}")
    print(f"queue wait: {(started or finished) - launched:.1f} s")
    print(f"launch -> finished predictions: {finished - launched:.0f} s ({(finished - launched) / 60:.1f} min)")
    print(f"validation loss: base {run['base_eval_loss']:.3f} -> fine-tuned {run['final_eval_loss']:.3f}")
    answered = ", ".join(f"{e['model']} {e['done']}" for e in evaluations)
    print(f"test answers: {answered}")


if __name__ == "__main__":
    main()
