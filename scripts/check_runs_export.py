#!/usr/bin/env python3
"""Reads the Runs view's exports as a data scientist would: pandas.read_csv and
pandas.read_json, with no options, and checks what they hold.

    check_runs_export.py agora-runs.csv agora-runs.json RUNS [FORKED_RUN PARENT]

Fails (exit 1, saying why) unless both files hold RUNS runs, the same ids in the same order,
numeric metrics, every run's epochs in the JSON, and, when given, FORKED_RUN's parent.
"""
import sys

import pandas as pd


def fail(message):
    print(f"check_runs_export: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) not in (4, 6):
        fail(__doc__)
    csv_path, json_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    table = pd.read_csv(csv_path)
    records = pd.read_json(json_path)
    for name, frame in (("CSV", table), ("JSON", records)):
        if len(frame) != runs:
            fail(f"the {name} has {len(frame)} runs, expected {runs}")
        for column in ("run", "started", "seconds", "network", "fingerprint", "seed",
                       "learning_rate", "epochs", "test_loss", "test_accuracy"):
            if column not in frame.columns:
                fail(f"the {name} has no column {column!r}: {list(frame.columns)}")
        for column in ("run", "seconds", "learning_rate", "epochs", "test_loss", "test_accuracy"):
            if not pd.api.types.is_numeric_dtype(frame[column]):
                fail(f"the {name}'s {column} is {frame[column].dtype}, not numeric")
        if not frame["run"].is_unique:
            fail(f"the {name}'s run ids repeat: {list(frame['run'])}")
    if list(table["run"]) != list(records["run"]):
        fail(f"the CSV's runs {list(table['run'])} are not the JSON's {list(records['run'])}")
    if not table["test_accuracy"].between(0, 1).all():
        fail(f"accuracies out of 0..1: {list(table['test_accuracy'])}")
    started = pd.to_datetime(table["started"], utc=True)
    if started.isna().any():
        fail(f"unreadable start times: {list(table['started'])}")
    for _, record in records.iterrows():
        epochs = record["epoch_metrics"]
        if not isinstance(epochs, list) or len(epochs) == 0:
            fail(f"run {record['run']} has no epochs in the JSON")
        if epochs[-1]["epoch"] != record["epochs"]:
            fail(f"run {record['run']}'s last epoch {epochs[-1]['epoch']} is not its epochs {record['epochs']}")
    if len(sys.argv) == 6:
        forked, parent = int(sys.argv[4]), int(sys.argv[5])
        row = table[table["run"] == forked]
        if row.empty or int(row["parent"].iloc[0]) != parent:
            fail(f"run {forked}'s parent is not {parent}: {table[['run', 'parent']].to_dict('records')}")
    print(f"check_runs_export: pandas {pd.__version__} read {runs} runs from both files; "
          f"test accuracy {', '.join(f'{a:.4f}' for a in table['test_accuracy'])}")


if __name__ == "__main__":
    main()
