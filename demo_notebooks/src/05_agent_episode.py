# %% [markdown]
# # An agent episode: each step runs while it is written
#
# With `%%eager --agent` the model works in steps through one tool that runs Python in this kernel:
# each step's code runs statement by statement **while the tool input is still streaming**, and when
# the step ends, what it printed, displayed and raised goes back to the model, which writes the next
# step, until it answers in prose. When a statement fails, the step's stream is closed at once and the
# error goes back immediately (**early repair**): the model stops paying for code that would not run.
#
# **This episode is a replay written by hand, not recorded from a model.** Its trace,
# `traces/agent_bikes.jsonl` (from `replies/agent_bikes.md`), says `"origin": "written"`. A replay
# streams what was written, step after step, whatever the code does here: **it cannot react to
# different outputs**. Its repair step was written for the failure this code really has. The steps
# stream at 50 tokens a second, with 0.5 s before each step's first token. With a key, `%%eager --agent`
# followed by the request asks the model instead.

# %%
%load_ext eager_jupyter

# %% [markdown]
# The request the episode answers: *"Load data/bike_rentals.csv, compare rides on weekdays and
# weekends and across the months, and show the months in a chart."* Step 2 groups by a column that
# does not exist; watch the step stop there and the repair follow.

# %%
%%eager --replay-trace traces/agent_bikes.jsonl

# %% [markdown]
# `_eager.steps` holds each model response: its prose, its code, its statements, what went back to the
# model (`tool_result`) and its times (seconds since the first request).

# %%
import pandas as pd

eager_run = _eager
print(eager_run.source)
pd.DataFrame(
    [
        {
            "step": s.step,
            "says": (s.text.splitlines() or [""])[0][:48],
            "statements": len(s.statements),
            "failed": any(t.status == "error" for t in s.statements),
            "requested": s.requested_at,
            "first token": s.first_token_at,
            "written": s.generation_done_at,
            "finished": s.finished_at,
        }
        for s in eager_run.steps
    ]
).round(2)

# %% [markdown]
# What went back to the model after the failing step: the traceback, with the step's own line numbers
# and the frames inside pandas folded to one line (the traceback under the statement above is whole).
# The model saw it before the rest of step 2 was written; the code after the failing statement was
# never streamed.

# %%
print(eager_run.steps[1].tool_result)
print("step 2 as streamed ends with:", eager_run.steps[1].code.strip().splitlines()[-1])

# %% [markdown]
# ## The same episode with the serial agent
#
# `--serial --agent` is the baseline: each step is written in full, then runs as one cell, then goes
# back. Step 2 is then written to its end before anything of it runs.

# %%
%%eager --replay-trace traces/agent_bikes.jsonl --serial

# %%
serial_run = _eager
print(f"eager agent: {eager_run.end_to_end:.2f} s end to end; serial agent: {serial_run.end_to_end:.2f} s")
print(f"the eager episode finished {serial_run.end_to_end - eager_run.end_to_end:.2f} s sooner")
