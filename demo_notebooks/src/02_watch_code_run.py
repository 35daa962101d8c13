# %% [markdown]
# # Watch code run as it is typed
#
# `%%eager --replay` streams the cell's own code as if a model were typing it, at `--rate` tokens per
# second (a token is a few characters, cut about as a model's tokenizer cuts code). Each top-level
# statement runs **the moment it is complete**: its output appears under it while the next statement is
# still being typed. Nothing here needs a model or a network.
#
# Run the next two cells and watch the second one: the code appears statement by statement, and each
# `print` answers right after its line is typed.

# %%
%load_ext eager_jupyter

# %%
%%eager --replay --rate 15
import numpy as np
rng = np.random.default_rng(0)
darts = rng.random((5_000_000, 2))
inside = np.hypot(*darts.T) < 1
print("pi is about", 4 * inside.mean())
primes = [n for n in range(2, 200_000) if all(n % d for d in range(2, int(n**.5) + 1))]
len(primes)

# %% [markdown]
# `_eager` holds the record of that run. Keep it before the next run replaces it.

# %%
eager_run = _eager
eager_run

# %% [markdown]
# ## The baseline: `--serial`
#
# The same code at the same speed, but run only once all of it is written, as one cell: what you do
# with code a chat assistant gives you. Nothing appears until the typing is over.

# %%
%%eager --replay --rate 15 --serial
import numpy as np
rng = np.random.default_rng(0)
darts = rng.random((5_000_000, 2))
inside = np.hypot(*darts.T) < 1
print("pi is about", 4 * inside.mean())
primes = [n for n in range(2, 200_000) if all(n % d for d in range(2, int(n**.5) + 1))]
len(primes)

# %%
serial_run = _eager
serial_run

# %% [markdown]
# ## The time saved, from the run records
#
# Every time in a record is in seconds since the request. `end_to_end` is the request to the last
# statement finished; `generation_done_at` is when the last character was typed.

# %%
for name, run in [("eager", eager_run), ("serial", serial_run)]:
    first = min(s.started_at for s in run.statements if s.started_at is not None)
    print(
        f"{name:>6}: typed by {run.generation_done_at:5.2f} s, started running at {first:5.2f} s, "
        f"all done at {run.end_to_end:5.2f} s"
    )
saved = serial_run.end_to_end - eager_run.end_to_end
print(f" saved: {saved:.2f} s of {serial_run.end_to_end:.2f} s ({saved / serial_run.end_to_end:.0%})")

# %% [markdown]
# Where the saving comes from: in the eager run each statement started as soon as it was typed, so by
# the time the last line was written, everything before it had already run. Only the statements after
# the end of typing are left (`non_overlapped`).

# %%
import pandas as pd

pd.DataFrame(
    [
        {
            "statement": s.code.strip()[:55],
            "typed by": s.generated_at,
            "started": s.started_at,
            "ran for": s.run_s,
        }
        for s in eager_run.statements
    ]
).round(3)

# %%
print(f"not overlapped with typing: {eager_run.non_overlapped:.2f} s (eager) "
      f"against {serial_run.non_overlapped:.2f} s (serial)")

# %% [markdown]
# ## Things to try
#
# - `--rate 5` or `--rate 200`: the slower the typing, the more of the running hides behind it.
# - `--no-exec`: stream and show the code, run nothing.
# - `-i`: when the run is over, put the finished code into a new cell below.
# - A statement that fails stops the typing at once, and the cell fails with one line naming it
#   (see `04_safety_and_errors.ipynb`).
