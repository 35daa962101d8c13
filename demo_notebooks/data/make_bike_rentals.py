"""Writes ``bike_rentals.csv``: one (synthetic) year of daily rentals at a city's bike-share scheme.

Seeded, so the file in git is exactly what this script writes (``python make_bike_rentals.py``).
The data is made up but behaves like the real thing: more rides when it is warm and dry and on
weekdays, a summer peak, a slow upward trend. It is messy in the usual ways, so the "clean" step of
the analysis has work to do: a few days appear twice (a re-sent export), a counter outage is logged
as ``-1`` rides, and some temperatures are missing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def make(seed: int = 2024) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2024-01-01"))
    doy = np.arange(len(days))
    temp = 11 + 9 * np.sin(2 * np.pi * (doy - 105) / 365) + rng.normal(0, 2.8, len(days))
    rain = np.where(rng.random(len(days)) < 0.32, rng.gamma(1.4, 4.5, len(days)), 0.0)
    weekday = (doy + 6) % 7  # 2023-01-01 was a Sunday; 0 = Monday
    weekend = weekday >= 5
    rides = (
        1900
        + 95 * temp
        - 38 * rain
        - 520 * weekend
        + 1.1 * doy
        + rng.normal(0, 260, len(days))
    )
    rides = np.maximum(rides, 80).round().astype(int)
    rows: list[dict[str, object]] = []
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for i, day in enumerate(days):
        rows.append(
            {
                "date": str(day),
                "weekday": names[weekday[i]],
                "temp_c": f"{temp[i]:.1f}",
                "rain_mm": f"{rain[i]:.1f}",
                "rides": int(rides[i]),
            }
        )
    for i in rng.choice(len(rows), 9, replace=False):  # missing temperatures
        rows[i]["temp_c"] = ""
    for i in rng.choice(len(rows), 4, replace=False):  # counter outages
        rows[i]["rides"] = -1
    for i in sorted(rng.choice(len(rows), 5, replace=False), reverse=True):  # re-sent days
        rows.insert(i + 1, dict(rows[i]))
    return rows


def main() -> None:
    rows = make()
    with (HERE / "bike_rentals.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {HERE / 'bike_rentals.csv'}")


if __name__ == "__main__":
    main()
