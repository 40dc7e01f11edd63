#!/usr/bin/env python3
"""Writes the tables the CSV tests train on, from data no one here made: scikit-learn's bundled
iris (Fisher 1936: 150 flowers, 4 measurements, 3 species) and wine (178 wines, 13 chemical
measurements, 3 cultivars), as CSV with a header row and the class names as text labels.

    pip install scikit-learn && python3 scripts/make_tables.py

Output: tests/fixtures/tables/{iris,wine}.csv, committed; rerunning gives the same bytes.
"""
import csv
import pathlib

from sklearn.datasets import load_iris, load_wine

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tables"


def write(name, bunch, label):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.csv"
    headers = [f.replace(" (cm)", "_cm").replace(" ", "_").replace("/", "_") for f in bunch.feature_names]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers + [label])
        for row, target in zip(bunch.data, bunch.target):
            writer.writerow([f"{value:g}" for value in row] + [bunch.target_names[target]])
    print(f"{path}: {len(bunch.data)} rows, {len(headers)} features, classes {list(bunch.target_names)}")


write("iris", load_iris(), "species")
write("wine", load_wine(), "cultivar")
