"""The comparison: one workload through every pattern, side by side, measured.

- `workload`: the data, the expensive step, what the readers show, the scripted users;
- `patterns`: the seven patterns and the names of their parts (their callbacks live in
  `pages/compare_workload.py`);
- `client`: a running lab over HTTP, and a renderer that follows callback chains as
  dash-renderer does;
- `runner`: the rounds (pattern × worker count) and their figures; `judge`: the verdicts;
- `offload`: lesson 8's crowd at each worker count (the step on the web workers, or off them);
- `runs`: runs started from the lab (one at a time, in a process of their own, on the board);
- `report`: the table and CSV; `local`: a lab started for one command; `__main__`: the terminal command.
"""
