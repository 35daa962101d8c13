# Task: stock_returns_plot (PandasPlotBench style) - prices of five tickers, returns, correlation, plots.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Simulated daily closing prices (geometric random walks)
rng = np.random.default_rng(3)
days = pd.bdate_range("2019-01-01", periods=1_250)
tickers = ["AAA", "BBB", "CCC", "DDD", "EEE"]
drift = np.array([0.0004, 0.0002, 0.0006, 0.0001, 0.0003])
shocks = rng.normal(drift, 0.015, size=(len(days), len(tickers)))
prices = pd.DataFrame(100 * np.exp(np.cumsum(shocks, axis=0)), index=days, columns=tickers)

# Daily returns and their summary
returns = prices.pct_change().dropna()
summary = pd.DataFrame({
    "annual_return": returns.mean() * 252,
    "annual_vol": returns.std() * np.sqrt(252),
})
summary["sharpe"] = summary["annual_return"] / summary["annual_vol"]
print(summary.round(3))

# Correlation matrix of returns
corr = returns.corr()

# Two panels: normalised prices and the correlation heatmap
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
(prices / prices.iloc[0]).plot(ax=ax1, lw=1)
ax1.set_title("Normalised prices")
ax1.set_ylabel("growth of 1")
im = ax2.imshow(corr.values, cmap="coolwarm", vmin=-1, vmax=1)
ax2.set_xticks(range(len(tickers)), tickers)
ax2.set_yticks(range(len(tickers)), tickers)
ax2.set_title("Return correlation")
fig.colorbar(im, ax=ax2)
fig.tight_layout()
plt.show()

# Maximum drawdown per ticker
drawdown = (prices / prices.cummax() - 1).min()
drawdown.round(3)
