"""The measurements behind `scripts/bench` (entry point: `scripts/benchmark.py`).

- `report`: one table row (`Result`) and the helpers every measurement shares;
- `engine`: the plain-Python engine and the stored form, without Home Assistant;
- `harness`: Home Assistant with the integration over a real HTTP socket, its Store;
- `titles`: generated catalogue titles and the scenario steps that stage them;
- `remote`: the simulated stack in a process of its own, with its traffic meter;
- `simulation`: the integration configured against that stack;
- `webhooks`, `polling`, `scale`, `eta`, `startup`: the measurements with Home
  Assistant.

The package is not named `bench` because `scripts/bench` is the shell entry point.
"""
