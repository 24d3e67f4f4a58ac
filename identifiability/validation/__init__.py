"""The paper validation: configs/paper.yaml's tables run in parts (``parts``), and the report
rebuilt from the committed per-run evidence alone (``report``); docs/validation.md."""
