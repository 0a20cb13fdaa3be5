"""A local Zoho CRM v8 API simulator and synthetic-org generator (see README.md in this folder)."""

from zoho_pipeline.simulator.control import ControlClient
from zoho_pipeline.simulator.org import Org
from zoho_pipeline.simulator.simulation import Simulator

__all__ = ["ControlClient", "Org", "Simulator"]
