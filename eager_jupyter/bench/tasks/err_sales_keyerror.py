# Task: err_sales_keyerror (DABench style) - monthly sales report; refers to a column that does not exist.
# expect: KeyError
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Transactions for one year
rng = np.random.default_rng(20)
n = 600_000
tx = pd.DataFrame({
    "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366 * 24 * 60, n), unit="min"),
    "store": rng.integers(1, 41, n),
    "amount": rng.gamma(2.0, 18.0, n).round(2),
    "currency": rng.choice(["EUR", "USD"], n, p=[0.8, 0.2]),
})

# Convert everything to euros
tx["amount_eur"] = np.where(tx["currency"] == "USD", tx["amount"] * 0.92, tx["amount"])
print(tx.describe().round(2))

# Monthly totals per store
tx["month"] = tx["date"].dt.to_period("M")
monthly = tx.groupby(["store", "month"])["amount_eur"].sum().unstack()
print(monthly.iloc[:5, :4].round(0))

# Growth from the first to the last quarter (the column is called amount_eur, not revenue_eur)
q = tx.groupby([tx["date"].dt.quarter, "store"])["revenue_eur"].sum().unstack(0)
q["growth"] = q[4] / q[1] - 1
print(q["growth"].describe().round(3))

# Ten best and worst stores by growth
best = q["growth"].nlargest(10)
worst = q["growth"].nsmallest(10)
print(pd.DataFrame({"best": best.index, "best_growth": best.values,
                    "worst": worst.index, "worst_growth": worst.values}).round(3))

# Plot monthly totals for the five biggest stores
top = monthly.sum(axis=1).nlargest(5).index
fig, ax = plt.subplots(figsize=(9, 4))
monthly.loc[top].T.plot(ax=ax, marker="o")
ax.set_ylabel("EUR")
ax.set_title("Monthly sales, five biggest stores")
plt.show()

# Share of weekend sales per store
tx["weekend"] = tx["date"].dt.dayofweek >= 5
weekend_share = tx.groupby("store")["weekend"].mean().sort_values(ascending=False)
weekend_share.head(10).round(3)
