"""The application shell: the only package that wires I/O together.

The `itpc` CLI (``cli`` and one ``cli_*`` module per command group), the service loop (``service``), intake
and registration (``intake``), the outbox (``outbox``), deciding and answering (``judge``, ``answers``), the
scheduler's tick (``tick``), officers' actions (``officer``, ``requeue``, ``outages``, ``afis``) and the
presentation of reports and stories (``report``, ``monthly``, ``chart``, ``story``, ``table``).
It imports ``ingest``, ``responders``, ``ledger`` and ``config``; nothing imports it.
"""
