# Task: housing_regression (DSBench style) - fit a linear price model with least squares, report R^2.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Synthetic housing data
rng = np.random.default_rng(4)
n = 5_000
houses = pd.DataFrame({
    "area": rng.normal(120, 35, n).clip(30, 400),
    "rooms": rng.integers(1, 7, n),
    "age": rng.integers(0, 90, n),
    "distance_km": rng.exponential(8, n),
})
houses["price"] = (2_500 * houses["area"] + 15_000 * houses["rooms"] - 900 * houses["age"]
                   - 4_000 * houses["distance_km"] + rng.normal(0, 40_000, n))

# Train/test split
test_mask = rng.random(n) < 0.2
train, test = houses[~test_mask], houses[test_mask]
features = ["area", "rooms", "age", "distance_km"]

def design(frame):
    return np.column_stack([np.ones(len(frame)), frame[features].to_numpy()])

# Ordinary least squares
coef, *_ = np.linalg.lstsq(design(train), train["price"].to_numpy(), rcond=None)
print(pd.Series(coef, index=["intercept", *features]).round(1))

# R^2 on the test set
pred = design(test) @ coef
resid = test["price"].to_numpy() - pred
r2 = 1 - (resid ** 2).sum() / ((test["price"] - test["price"].mean()) ** 2).sum()
print(f"test R^2: {r2:.3f}, RMSE: {np.sqrt((resid ** 2).mean()):,.0f}")

# Residuals against predictions
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(pred, resid, s=4, alpha=0.4)
ax.axhline(0, color="k", lw=1)
ax.set_xlabel("predicted price")
ax.set_ylabel("residual")
ax.set_title("Residuals")
plt.show()
