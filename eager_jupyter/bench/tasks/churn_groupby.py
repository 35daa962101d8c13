# Task: churn_groupby (DABench style) - churn rates by plan and tenure on a large customer-month table.
# expect: ok
import numpy as np
import pandas as pd

# One row per customer and month
rng = np.random.default_rng(9)
n = 6_000_000
usage = pd.DataFrame({
    "customer": rng.integers(0, 600_000, n),
    "month": rng.integers(1, 25, n),
    "plan": rng.choice(["basic", "plus", "pro", "family"], n, p=[0.5, 0.25, 0.15, 0.1]),
    "minutes": rng.gamma(2.0, 150.0, n),
    "tickets": rng.poisson(0.3, n),
})
usage["churned"] = rng.random(n) < (0.02 + 0.03 * (usage["tickets"] > 1) + 0.01 * (usage["plan"] == "basic"))

# Per-customer summary
per_customer = usage.groupby("customer").agg(
    months=("month", "nunique"), minutes=("minutes", "mean"), tickets=("tickets", "sum"),
    plan=("plan", "first"), churned=("churned", "max"),
)
print(per_customer.describe().round(2))

# Churn rate by plan
print(per_customer.groupby("plan")["churned"].mean().sort_values().round(4))

# Churn by tenure band and support tickets
per_customer["tenure"] = pd.cut(per_customer["months"], [0, 6, 12, 18, 24], labels=["<6", "6-12", "12-18", "18+"])
table = per_customer.pivot_table(index="tenure", columns=per_customer["tickets"].clip(upper=4),
                                 values="churned", aggfunc="mean", observed=True)
table.round(3)
