# Task: missing_data_cleaning (DABench style) - impute, clip outliers and fix types in a survey table.
# expect: ok
import numpy as np
import pandas as pd

# A messy survey export
rng = np.random.default_rng(13)
n = 3_000
survey = pd.DataFrame({
    "respondent": [f"R{i:05d}" for i in range(n)],
    "age": rng.integers(16, 90, n).astype(float),
    "income": rng.lognormal(10.5, 0.5, n),
    "city": rng.choice(["Lyon", "Paris", "Lille", "Nice", None], n),
    "score": rng.choice(["1", "2", "3", "4", "5", "n/a"], n),
})
for col, frac in [("age", 0.08), ("income", 0.12)]:
    survey.loc[rng.random(n) < frac, col] = np.nan
survey.loc[rng.choice(n, 15), "income"] *= 50

# How much is missing
print(survey.isna().mean().round(3))

# Impute age with the median per city, income with the overall median
survey["city"] = survey["city"].fillna("unknown")
survey["age"] = survey.groupby("city")["age"].transform(lambda s: s.fillna(s.median()))
survey["income"] = survey["income"].fillna(survey["income"].median())

# Clip income outliers at the 1st and 99th percentiles
low, high = survey["income"].quantile([0.01, 0.99])
survey["income"] = survey["income"].clip(low, high)

# Scores to numbers, "n/a" becomes missing
survey["score"] = pd.to_numeric(survey["score"], errors="coerce").astype("Int64")
print(survey.dtypes)

# Average score and income by city
survey.groupby("city").agg(score=("score", "mean"), income=("income", "median"), n=("respondent", "count")).round(1)
