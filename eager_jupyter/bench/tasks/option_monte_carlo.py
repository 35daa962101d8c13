# Task: option_monte_carlo (DSBench style) - price European and Asian options by Monte Carlo simulation.
# expect: ok
import numpy as np
import pandas as pd

# Market parameters
s0, strike, rate, vol, maturity = 100.0, 105.0, 0.03, 0.25, 1.0
steps, paths = 126, 250_000
dt = maturity / steps
rng = np.random.default_rng(8)

# Simulate geometric Brownian motion paths
z = rng.standard_normal((paths, steps))
log_paths = np.cumsum((rate - 0.5 * vol ** 2) * dt + vol * np.sqrt(dt) * z, axis=1)
prices = s0 * np.exp(log_paths)
print(prices.shape, prices[:, -1].mean().round(3))

# European call: payoff on the final price
discount = np.exp(-rate * maturity)
euro = discount * np.maximum(prices[:, -1] - strike, 0)
print(f"European call: {euro.mean():.3f} +/- {1.96 * euro.std() / np.sqrt(paths):.3f}")

# Asian call: payoff on the average price
asian = discount * np.maximum(prices.mean(axis=1) - strike, 0)
print(f"Asian call: {asian.mean():.3f} +/- {1.96 * asian.std() / np.sqrt(paths):.3f}")

# Price sensitivity to volatility, re-simulating for each level
rows = []
for v in [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]:
    lp = np.cumsum((rate - 0.5 * v ** 2) * dt + v * np.sqrt(dt) * z, axis=1)
    final = s0 * np.exp(lp[:, -1])
    rows.append((v, discount * np.maximum(final - strike, 0).mean()))
vol_table = pd.DataFrame(rows, columns=["vol", "call_price"]).round(3)
vol_table
