# Task: sales_summary (DABench style) - clean a sales table, revenue by region and the top products.
# expect: ok
import numpy as np
import pandas as pd

# Build a small sales table (a stand-in for sales.csv)
rng = np.random.default_rng(0)
n = 2_000
sales = pd.DataFrame({
    "order_id": np.arange(n),
    "region": rng.choice(["North", "South", "East", "West"], size=n),
    "product": rng.choice([f"P{i:02d}" for i in range(25)], size=n),
    "units": rng.integers(1, 20, size=n),
    "unit_price": rng.uniform(2.0, 80.0, size=n).round(2),
})
sales.loc[rng.choice(n, 60, replace=False), "unit_price"] = np.nan

# Drop rows without a price and compute revenue
clean = sales.dropna(subset=["unit_price"]).copy()
clean["revenue"] = clean["units"] * clean["unit_price"]
print(f"kept {len(clean)} of {len(sales)} orders")

# Revenue by region, largest first
by_region = clean.groupby("region")["revenue"].agg(["sum", "mean", "count"]).sort_values("sum", ascending=False)
print(by_region.round(2))

# Top five products by total revenue
top_products = clean.groupby("product")["revenue"].sum().nlargest(5)
print(top_products.round(2))

# Share of revenue coming from the top five
share = top_products.sum() / clean["revenue"].sum()
print(f"top-5 share: {share:.1%}")
by_region
