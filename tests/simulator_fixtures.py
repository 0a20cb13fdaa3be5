"""Pytest fixtures that start the Zoho CRM simulator on free ports (loaded through pytest_plugins).

`simulator`: a started default small org, stopped after the test.
`make_simulator(**kwargs)`: a factory taking Simulator's keyword arguments; every simulator it made
is stopped after the test.
"""

from __future__ import annotations

import pytest

from zoho_pipeline.simulator import Simulator


@pytest.fixture
def make_simulator():
    started: list[Simulator] = []

    def make(**kwargs) -> Simulator:
        simulator = Simulator(**kwargs).start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


@pytest.fixture
def simulator(make_simulator) -> Simulator:
    return make_simulator()
