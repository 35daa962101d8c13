# Task: titanic_survival (DABench style) - survival rates by class, sex and age band on a passenger table.
# expect: ok
import numpy as np
import pandas as pd

# Synthetic passenger list with the usual columns
rng = np.random.default_rng(1)
n = 1_500
passengers = pd.DataFrame({
    "pclass": rng.choice([1, 2, 3], size=n, p=[0.25, 0.2, 0.55]),
    "sex": rng.choice(["male", "female"], size=n, p=[0.64, 0.36]),
    "age": rng.normal(30, 14, size=n).clip(0.5, 80).round(1),
    "fare": rng.gamma(2.0, 15.0, size=n).round(2),
})
base = 0.15 + 0.45 * (passengers["sex"] == "female") + 0.12 * (3 - passengers["pclass"])
passengers["survived"] = (rng.random(n) < base.clip(0, 0.95)).astype(int)

# Age bands
passengers["age_band"] = pd.cut(passengers["age"], bins=[0, 12, 18, 35, 60, 80],
                                labels=["child", "teen", "young", "adult", "senior"])

# Overall and per-group survival rates
print(f"overall survival: {passengers['survived'].mean():.3f}")
rates = passengers.pivot_table(index="pclass", columns="sex", values="survived", aggfunc="mean")
print(rates.round(3))

by_age = passengers.groupby("age_band", observed=True)["survived"].agg(["mean", "size"])
print(by_age.round(3))

# Median fare by class, and the correlation between fare and survival
fares = passengers.groupby("pclass")["fare"].median()
print(fares)
corr = passengers[["fare", "survived"]].corr().iloc[0, 1]
print(f"fare/survival correlation: {corr:.3f}")
rates
