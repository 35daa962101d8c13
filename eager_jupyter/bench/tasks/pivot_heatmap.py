# Task: pivot_heatmap (PandasPlotBench style) - monthly passengers per year as a pivot table and heatmap.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Monthly passenger counts with trend and seasonality
rng = np.random.default_rng(14)
months = pd.date_range("2000-01-01", "2019-12-01", freq="MS")
trend = np.linspace(100, 600, len(months))
season = 1 + 0.25 * np.sin(2 * np.pi * (months.month - 4) / 12)
flights = pd.DataFrame({
    "year": months.year,
    "month": months.month_name().str[:3],
    "passengers": (trend * season * rng.normal(1, 0.04, len(months))).round(),
})

# Pivot: years as rows, months as columns
order = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
table = flights.pivot(index="year", columns="month", values="passengers")[order]
print(table.iloc[:5, :6])

# Heatmap with annotations for the busiest month each year
fig, ax = plt.subplots(figsize=(9, 7))
im = ax.imshow(table.values, aspect="auto", cmap="viridis")
ax.set_xticks(range(12), order)
ax.set_yticks(range(len(table.index)), table.index)
for row, col in enumerate(table.values.argmax(axis=1)):
    ax.text(col, row, "*", ha="center", va="center", color="white")
fig.colorbar(im, ax=ax, label="passengers")
ax.set_title("Passengers per month")
plt.show()

# Year-over-year growth
growth = table.sum(axis=1).pct_change().mul(100).round(1)
growth.tail()
