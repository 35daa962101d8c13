# %% [markdown]
# # Safety and errors
#
# Running code while it is still being written raises two questions: what if a statement does
# something that should not happen before the whole program has been seen, and what if a statement
# fails? This notebook shows the three answers of `%%eager`, offline:
#
# 1. **The gate** holds risky statements until generation has ended.
# 2. **Early interruption**: a failing statement stops generation at once.
# 3. **`--fix`**: instead of stopping, ask for a continuation from the failing statement and go on.
#
# The code comes from the cells themselves (`--replay`) and from traces in `traces/`. **The traces
# were written by hand for this demo, not recorded from a model** (`"origin": "written"` in their
# header); they are timed as a model writing about 60 tokens a second.

# %%
%load_ext eager_jupyter

# %% [markdown]
# ## 1. The gate holds a risky statement
#
# Before a statement runs, the gate checks what it reaches for, through the kernel's own namespace
# (aliases, attributes of modules, `get_ipython()`), without calling anything. A statement that starts
# processes, writes or deletes files, uses the network, runs dynamic code, reads the environment's
# secrets or runs a magic that is not known to be harmless is **held**: it and everything after it
# run, in order, once generation has ended, so nothing irreversible happens on the strength of half a
# program. Here the analysis runs while the rest is still being written; making a scratch folder is
# the first thing held.

# %%
%%eager --replay --rate 30
import pandas as pd
sales = pd.DataFrame({"region": ["north", "south", "north"], "units": [3, 5, 2]})
totals = sales.groupby("region").units.sum()
print(totals)
import shutil
import tempfile
from pathlib import Path
scratch = Path(tempfile.mkdtemp(prefix="eager-demo-"))
totals.to_csv(scratch / "totals.csv")
print("the scratch folder holds", [p.name for p in scratch.iterdir()])
shutil.rmtree(scratch)
print("scratch folder removed:", not scratch.exists())

# %%
import pandas as pd

held = next(s for s in _eager.statements if s.held_reason)
print(f"statement {held.index + 1} was written at {held.generated_at:.2f} s and held: {held.held_reason}")
print(f"generation ended at {_eager.generation_done_at:.2f} s; it started at {held.started_at:.2f} s")
pd.DataFrame(
    [
        {
            "statement": s.code.strip().splitlines()[0][:50],
            "held because": s.held_reason or "",
            "started": s.started_at,
        }
        for s in _eager.statements
    ]
).round(2)

# %% [markdown]
# The gate reads the code; it is not a sandbox, and it does not confine what the code does once it
# runs. For isolation, run the kernel in a container or use a remote kernel. Add names to hold with
# `%config Eager.gate_deny = {"mylib.upload": "sends data out"}`, let some through with
# `%config Eager.gate_allow = [...]`, or turn the gate off with `--gate off`.

# %% [markdown]
# ## 2. A failing statement stops generation at once
#
# Some sales data, then a request for a report on it:

# %%
import numpy as np

rng = np.random.default_rng(3)
sales = pd.DataFrame(
    {
        "region": rng.choice(["north", "south", "east", "west"], 2_000),
        "product": rng.choice(["tea", "coffee", "cocoa"], 2_000),
        "units": rng.integers(1, 20, 2_000),
        "price": rng.choice([2.5, 3.0, 4.2], 2_000),
    }
)
sales.head()

# %% [markdown]
# The reply in `traces/fix_1_first.jsonl` answers *"Report revenue by region and product, with each
# region's best seller."*, but its second statement asks for a column `"Region"` that does not exist.
# The moment that statement fails, the replay is stopped (a real model's stream is closed), nothing
# after it runs, and the cell fails with one line naming the statement. This cell is **expected to
# fail**; it is tagged `raises-exception` so that Run All goes on.

# %% tags=["raises-exception"]
%%eager --replay-trace traces/fix_1_first.jsonl

# %%
from eager_jupyter.trace import read_trace

full = read_trace("traces/fix_1_first.jsonl")
print(_eager.error)
print(f"generation stopped: {_eager.generation_stopped}, at {_eager.generation_done_at:.2f} s; "
      f"the whole reply would have taken {full.pieces[-1][0]:.2f} s")
print(f"written before the stop: {len(_eager.code) + len(_eager.prose)} of {len(full.text)} characters")
[(s.line, s.status) for s in _eager.statements]

# %% [markdown]
# With a model, stopping early saves the time and the tokens of everything after the error, which
# would have been written on a wrong premise. (A kernel interrupt, the ■ button, stops generation and
# the running statement the same way, within 200 ms.)
#
# ## 3. `--fix`: repair from the failing statement
#
# With `--fix N`, a failure starts a repair round instead (at most `N` of them): the model gets the
# request, the program as it ran up to the failing statement and the traceback, and continues from the
# failing statement. What already ran stays run; the repaired statements run as they arrive, in the
# same cell. With a model, `--fix` asks it; offline, `--fix-replay FILE` streams the continuation from a
# file: here `traces/fix_2_repair.jsonl`, also written by hand.

# %%
%%eager --replay-trace traces/fix_1_first.jsonl --fix 1 --fix-replay traces/fix_2_repair.jsonl

# %%
print(_eager)
pd.DataFrame(
    [
        {
            "round": s.round,
            "line": s.line,
            "statement": s.code.strip().splitlines()[0][:60],
            "status": s.status,
            "replaced by the repair": s.superseded,
        }
        for s in _eager.statements
    ]
)

# %% [markdown]
# `_eager.program` is the program as it stands after the repair (what the repair replaced is left out;
# `_eager.code` keeps everything that was streamed). Add `-i` to the magic line to get it in a new
# cell below.

# %%
print(_eager.program)
