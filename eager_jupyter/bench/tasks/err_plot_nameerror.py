# Task: err_plot_nameerror (PandasPlotBench style) - rolling averages of web traffic; a misspelt name.
# expect: NameError
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Daily visits for three sites over four years
rng = np.random.default_rng(22)
dates = pd.date_range("2020-01-01", periods=1_461, freq="D")
visits = pd.DataFrame({
    site: (base * (1 + 0.3 * np.sin(2 * np.pi * dates.day_of_year / 365)) * rng.lognormal(0, 0.2, len(dates)))
    for site, base in [("blog", 1_200), ("shop", 3_500), ("docs", 800)]
}, index=dates)
print(visits.describe().round(0))

# 28-day moving average and a weekday profile
moving_average = visits.rolling(28).mean()
weekday = visits.groupby(visits.index.day_of_week).mean().round(0)
print(weekday)

# Plot raw visits and the moving average (typo: moving_avg)
fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
for ax, site in zip(axes, visits.columns):
    ax.plot(visits.index, visits[site], lw=0.5, alpha=0.5, label="daily")
    ax.plot(moving_avg.index, moving_avg[site], lw=2, label="28-day mean")
    ax.set_title(site)
    ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# Year-over-year growth of the yearly totals
yearly = visits.resample("YE").sum()
growth = yearly.pct_change().mul(100).round(1)
print(growth)

# Busiest day of each site
visits.idxmax()
