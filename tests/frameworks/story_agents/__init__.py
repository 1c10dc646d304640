"""The reference story's agents, written once per framework as a user of that
framework would write them. Each module exposes `Agents`, see `base.Agents`."""
