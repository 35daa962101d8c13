# Task: weather_rolling (DABench style) - ten years of temperatures: daily means, rolling trend, anomalies.
# expect: ok
import numpy as np
import pandas as pd

# Ten years of readings every ten minutes with a yearly and a daily cycle
rng = np.random.default_rng(2)
index = pd.date_range("2014-01-01", periods=6 * 24 * 365 * 10, freq="10min")
hours = np.arange(len(index)) / 6
temp = (12 + 9 * np.sin(2 * np.pi * hours / (24 * 365.25)) + 4 * np.sin(2 * np.pi * hours / 24)
        + rng.normal(0, 2.5, len(index)))
weather = pd.DataFrame({"temp": temp}, index=index)

# Daily mean, min and max
daily = weather["temp"].resample("D").agg(["mean", "min", "max"])
print(daily.describe().round(2))

# 30-day rolling mean and standard deviation
daily["trend"] = daily["mean"].rolling(30, center=True, min_periods=10).mean()
daily["spread"] = daily["mean"].rolling(30, center=True, min_periods=10).std()

# Anomalies: days more than two standard deviations from the trend
daily["anomaly"] = (daily["mean"] - daily["trend"]).abs() > 2 * daily["spread"]
print(f"anomalous days: {daily['anomaly'].sum()}")

# Warmest and coldest month on average
monthly = weather["temp"].groupby(weather.index.month).mean()
print(f"warmest month: {monthly.idxmax()}, coldest month: {monthly.idxmin()}")

# Yearly summary
yearly = daily["mean"].groupby(daily.index.year).agg(["mean", "std"]).round(2)
yearly
