# Task: err_merge_dtypes (DABench style) - join patients to visits; the key columns have different types.
# expect: ValueError
import numpy as np
import pandas as pd

# Patients (ids stored as text, as read from a CSV with leading zeros) and hospital visits
rng = np.random.default_rng(23)
patients = pd.DataFrame({
    "patient_id": [f"{i:06d}" for i in range(50_000)],
    "age": rng.integers(0, 100, 50_000),
    "sex": rng.choice(["F", "M"], 50_000),
})
visits = pd.DataFrame({
    "patient_id": rng.integers(0, 50_000, 300_000),
    "ward": rng.choice(["cardio", "neuro", "ortho", "onco", "er"], 300_000),
    "length_of_stay": rng.gamma(1.5, 2.5, 300_000).round(1),
    "cost": rng.lognormal(7.5, 0.8, 300_000).round(2),
})
print(patients.dtypes, visits.dtypes, sep="\n")

# Join visits to patient attributes (int64 key against a text key)
merged = visits.merge(patients, on="patient_id", how="left")
print(merged.shape)

# Age bands and average stay by ward
merged["age_band"] = pd.cut(merged["age"], [0, 18, 40, 65, 100], right=False)
stay = merged.pivot_table(index="ward", columns="age_band", values="length_of_stay", aggfunc="mean", observed=True)
print(stay.round(2))

# Cost per patient: totals and the most expensive wards
per_patient = merged.groupby("patient_id")["cost"].sum()
print(per_patient.describe().round(0))
ward_cost = merged.groupby("ward")["cost"].agg(["sum", "mean", "median"]).sort_values("sum", ascending=False)
print(ward_cost.round(0))

# Readmissions: patients with three or more visits
counts = merged.groupby("patient_id").size()
readmitted = counts[counts >= 3]
print(f"{len(readmitted)} patients with 3+ visits ({len(readmitted) / counts.size:.1%})")

# Stay by sex and ward
merged.groupby(["ward", "sex"])["length_of_stay"].mean().unstack().round(2)
