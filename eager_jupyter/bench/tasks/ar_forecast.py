# Task: ar_forecast (DSBench style) - fit an autoregressive model to daily demand and forecast 30 days.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Daily demand with weekly seasonality
rng = np.random.default_rng(15)
days = pd.date_range("2021-01-01", periods=900, freq="D")
weekly = 20 * np.sin(2 * np.pi * days.day_of_week / 7)
demand = pd.Series(200 + 0.05 * np.arange(900) + weekly + rng.normal(0, 8, 900), index=days)

# Lagged feature matrix (lags 1..14)
lags = 14
frame = pd.concat({f"lag{k}": demand.shift(k) for k in range(1, lags + 1)}, axis=1)
frame["y"] = demand
frame = frame.dropna()
train, test = frame.iloc[:-60], frame.iloc[-60:]

# Least-squares fit of the AR(14) model
X = np.column_stack([np.ones(len(train)), train.drop(columns="y").to_numpy()])
coef, *_ = np.linalg.lstsq(X, train["y"].to_numpy(), rcond=None)
X_test = np.column_stack([np.ones(len(test)), test.drop(columns="y").to_numpy()])
mae = np.abs(X_test @ coef - test["y"]).mean()
print(f"one-step MAE on the last 60 days: {mae:.2f}")

# Recursive 30-day forecast
history = list(demand.to_numpy())
forecast = []
for _ in range(30):
    x = np.r_[1.0, history[-1:-lags - 1:-1]]
    forecast.append(float(x @ coef))
    history.append(forecast[-1])
future = pd.Series(forecast, index=pd.date_range(days[-1] + pd.Timedelta(days=1), periods=30))

# Plot the last 120 days and the forecast
fig, ax = plt.subplots(figsize=(9, 4))
demand.iloc[-120:].plot(ax=ax, label="observed")
future.plot(ax=ax, label="forecast", style="--")
ax.legend()
ax.set_title("Demand forecast, AR(14)")
plt.show()
