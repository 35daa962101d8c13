# %% [markdown]
# # The latency model
#
# The paper behind `%%eager` ("Executing as You Generate", arXiv 2604.00491) models a run as chunks
# (for us: top-level statements). Chunk $i$ finishes generating at $t_{g,i}$, is detected $\delta_i$
# later, pays a hand-off cost $T_{setup,i}$ and runs for $T_{exe,i}$. The executor runs chunks in order,
# so chunk $i$ ends at
#
# $$t_{e,i} = \max(t_{g,i} + \delta_i,\ t_{e,i-1}) + T_{setup,i} + T_{exe,i}$$
#
# and the whole run ends at the closed form
#
# $$T_{par} = t_{e,N} = \max_i \Big[\, t_{g,i} + \delta_i + \sum_{j \ge i} (T_{setup,j} + T_{exe,j}) \Big].$$
#
# With $\delta = T_{setup} = 0$ it becomes the **critical path**: given when each statement was written
# and how long each runs, no implementation can finish earlier. The serial baseline (write everything,
# then run it) takes $T_{serial} = T_{FT} + L/v_{gen} + T_{setup,full} + \sum T_{exe,i}$.
#
# This notebook runs a compute-heavy script both ways, draws the run record `_eager` as a timeline, and
# checks the measured times against the formula and the bound (`eager_jupyter.latency`).

# %%
%load_ext eager_jupyter

# %% [markdown]
# The script (`scripts/bootstrap.py`) bootstraps confidence intervals over simulated delivery times:
# two of its statements take a good fraction of a second. It is streamed at 50 tokens a second.

# %%
%%eager --replay scripts/bootstrap.py --rate 50

# %%
eager_run = _eager.to_dict()

# %%
%%eager --replay scripts/bootstrap.py --rate 50 --serial

# %%
serial_run = _eager.to_dict()

# %% [markdown]
# ## The run as a timeline
#
# One row per statement: the thin bar is the time its code was being written (from the previous
# statement's last character to its own), the thick bar is when it ran. The dashed line is the end of
# generation. In the eager run most thick bars sit under the writing of later statements; in the serial
# run the whole program runs after the dashed line.

# %%
import matplotlib.pyplot as plt


def timeline(ax, record, title):
    statements = record["statements"]
    previous = record["first_token_at"] or 0.0
    for row, s in enumerate(statements):
        ax.barh(row, s["generated_at"] - previous, left=previous, height=0.25, color="lightsteelblue")
        previous = s["generated_at"]
        if s["started_at"] is not None and s["finished_at"] is not None:
            run = max(s["finished_at"] - s["started_at"], 0.02)  # keep instant statements visible
            ax.barh(row, run, left=s["started_at"], height=0.6, color="tab:orange")
    ax.axvline(record["generation_done_at"], color="gray", ls="--", lw=1)
    ax.set_yticks(range(len(statements)))
    ax.set_yticklabels([s["code"].strip().splitlines()[-1][:38] for s in statements], fontsize=7)
    ax.invert_yaxis()
    ax.set_title(f"{title}: end-to-end {record['end_to_end']:.2f} s", fontsize=10)


fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
timeline(top, eager_run, "eager")
timeline(bottom, serial_run, "serial")
bottom.set_xlabel("seconds since the request")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The measured run against the formula and the bound
#
# `latency.analyse` maps the record onto the paper's terms: each statement that ran is a chunk, with
# its measured $t_g$, $\delta$ and $T_{exe}$; statements run together in one batch share one
# $T_{setup}$.

# %%
from eager_jupyter import latency

chunks = latency.chunks_from_record(eager_run)
a = latency.analyse(eager_run)
assert abs(latency.closed_form(chunks) - latency.recurrence(chunks)) < 1e-9  # the two forms agree
assert a.end_to_end_s >= a.lower_bound_s - 1e-6  # nothing finishes before the critical path

print(f"measured end-to-end      {a.end_to_end_s:6.3f} s")
print(f"predicted (closed form)  {a.predicted_s:6.3f} s   "
      f"(measured - predicted: {1000 * (a.end_to_end_s - a.predicted_s):+.1f} ms, "
      "the work between statements no term models)")
print(f"lower bound (crit. path) {a.lower_bound_s:6.3f} s   (measured / bound = {a.bound_ratio:.3f})")
print(f"two-term lower bounds    {a.bound_generation_s:6.3f} s (generation-bound), "
      f"{a.bound_execution_s:.3f} s (execution-bound)")
print(f"upper bound (no overlap) {a.upper_bound_s:6.3f} s")
goal = "within" if a.within_goal else "outside"
print(f"{a.ran} statements in {a.batches} batches; {goal} the goal of 1.03 x bound + 20 ms")
binding = "generation" if a.bound_generation_s >= a.bound_execution_s else "execution"
print(f"the {binding}-bound term is the larger")

# %% [markdown]
# Which two-term bound is larger says what limits the run. **Generation-bound** (the last token plus
# the last statement's own run): the run cannot end much before the model stops writing; faster
# execution would not help, only faster generation would. **Execution-bound** (the first statement's
# arrival plus all the running): the kernel is the bottleneck, and writing faster would not help.

# %% [markdown]
# ## The serial baseline against its model

# %%
s = latency.analyse(serial_run)
modelled = latency.serial_model(
    serial_run["generation_done_at"], s.setup_total_s, s.run_total_s
)
print(f"serial measured {s.end_to_end_s:6.3f} s, modelled {modelled:6.3f} s")
print(f"eager  measured {a.end_to_end_s:6.3f} s")
change = latency.reduction(a.end_to_end_s, s.end_to_end_s)
print(f"end-to-end change: {change:+.1%}; "
      f"not overlapped: {a.non_overlapped_s:.3f} s eager vs {s.non_overlapped_s:.3f} s serial")

# %% [markdown]
# ## What the formula predicts at other generation speeds
#
# Scaling every $t_{g,i}$ of the measured run to another token rate (and keeping the measured run
# times) gives the model's prediction without running anything again. When the model writes slowly,
# all the running hides behind the writing, but the running is a small part of the whole; when it
# writes fast, there is little writing left to hide the running behind. The share saved is largest in
# between, where writing and running take about as long.

# %%
import numpy as np
from dataclasses import replace

rates = [10, 20, 40, 50, 80, 160, 320]
written = max(c.generated_at for c in chunks)  # when the last statement was written, at 50 tokens/s
eager_pred, serial_pred = [], []
for rate in rates:
    k = 50 / rate
    eager_pred.append(latency.closed_form([replace(c, generated_at=c.generated_at * k) for c in chunks]))
    serial_pred.append(latency.serial_model(written * k, 0.0, a.run_total_s))
saved = 1 - np.array(eager_pred) / np.array(serial_pred)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
left.plot(rates, serial_pred, "o-", label="serial (model)")
left.plot(rates, eager_pred, "o-", label="eager (closed form)")
left.scatter([50], [a.end_to_end_s], color="black", zorder=3, label="eager, measured")
left.set(xscale="log", yscale="log", xlabel="tokens per second", ylabel="end-to-end (s)")
left.set_yticks([2, 5, 10, 20, 40], ["2", "5", "10", "20", "40"])
left.legend()
right.plot(rates, 100 * saved, "o-", color="tab:green")
right.set(xscale="log", xlabel="tokens per second", ylabel="end-to-end saved (%)", ylim=(0, None))
for ax in (left, right):
    ax.set_xticks(rates, [str(r) for r in rates])
    ax.minorticks_off()
fig.tight_layout()
plt.show()
